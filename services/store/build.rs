// `sqlx::migrate!` embeds the migrations at compile time, but stable Rust
// cannot tell cargo that a new file in the folder needs a rebuild: say so.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
