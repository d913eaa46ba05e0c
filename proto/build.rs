//! Compiles `townreports/v1/*.proto` with `protox` (pure Rust: no system
//! `protoc`) and generates prost types plus pbjson serde impls, so the JSON a
//! user sees is the canonical proto3 JSON form with the proto field names.
use prost::Message;

const FILES: &[&str] = &[
    "townreports/v1/crawl.proto",
    "townreports/v1/document.proto",
    "townreports/v1/record.proto",
    "townreports/v1/events.proto",
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    for file in FILES {
        println!("cargo:rerun-if-changed={file}");
    }
    let descriptors = protox::compile(FILES, ["."])?;
    let encoded = descriptors.encode_to_vec();
    prost_build::Config::new()
        .compile_well_known_types()
        .extern_path(".google.protobuf", "::pbjson_types")
        .btree_map(["."])
        .compile_fds(descriptors)?;
    pbjson_build::Builder::new()
        .register_descriptors(&encoded)?
        .btree_map(["."])
        .preserve_proto_field_names()
        .emit_fields()
        .build(&[".townreports"])?;
    Ok(())
}
