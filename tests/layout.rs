//! The code's layout rules, checked over every crate's source:
//!
//! - every function in `services/*/src` is at most [`MAX_LINES`] lines, or
//!   a comment right above it says why not (and names the limit, "80
//!   lines", so the reason is searchable);
//! - every crate's top doc names each module its `lib.rs` declares.
//!
//! Both are what a newcomer reads first: a function to understand in one
//! screen, and a crate whose top doc is its map.

use std::path::{Path, PathBuf};

use syn::spanned::Spanned;
use syn::visit::Visit;

const MAX_LINES: usize = 80;

fn services() -> PathBuf {
    std::fs::canonicalize(Path::new(env!("CARGO_MANIFEST_DIR")).join("..")).unwrap()
}

/// The `.rs` files under `dir`, recursively, in a stable order.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files
}

fn crate_dirs() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(services())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("src").is_dir())
        .collect();
    dirs.sort();
    dirs
}

/// A function longer than the limit: where, and how long.
struct LongFunction {
    name: String,
    first_line: usize,
    lines: usize,
}

#[derive(Default)]
struct Lengths {
    long: Vec<LongFunction>,
}

impl Lengths {
    fn measure(&mut self, name: &syn::Ident, whole: proc_macro2::Span, signature: proc_macro2::Span) {
        let first_line = signature.start().line;
        let lines = whole.end().line + 1 - first_line;
        if lines > MAX_LINES {
            self.long.push(LongFunction {
                name: name.to_string(),
                first_line,
                lines,
            });
        }
    }
}

impl<'ast> Visit<'ast> for Lengths {
    fn visit_item_fn(&mut self, f: &'ast syn::ItemFn) {
        self.measure(&f.sig.ident, f.span(), f.sig.span());
        syn::visit::visit_item_fn(self, f);
    }

    fn visit_impl_item_fn(&mut self, f: &'ast syn::ImplItemFn) {
        self.measure(&f.sig.ident, f.span(), f.sig.span());
        syn::visit::visit_impl_item_fn(self, f);
    }

    fn visit_trait_item_fn(&mut self, f: &'ast syn::TraitItemFn) {
        if f.default.is_some() {
            self.measure(&f.sig.ident, f.span(), f.sig.span());
        }
        syn::visit::visit_trait_item_fn(self, f);
    }
}

/// Whether the comment block right above line `first_line` (1-based; doc
/// comments and attributes in between are skipped) says why the function
/// is long.
fn explained(source: &[&str], first_line: usize) -> bool {
    let mut comment = Vec::new();
    for line in source[..first_line - 1].iter().rev().map(|l| l.trim()) {
        if line.starts_with("///") || line.starts_with("#[") || line.starts_with("#![") {
            continue;
        }
        if let Some(text) = line.strip_prefix("//") {
            comment.push(text);
            continue;
        }
        break;
    }
    comment.iter().any(|text| text.contains("80 lines"))
}

#[test]
fn functions_fit_on_a_screen_or_say_why_not() {
    let mut offenders = Vec::new();
    for dir in crate_dirs() {
        for file in rust_files(&dir.join("src")) {
            let text = std::fs::read_to_string(&file).unwrap();
            let syntax = syn::parse_file(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
            let mut lengths = Lengths::default();
            lengths.visit_file(&syntax);
            let lines: Vec<&str> = text.lines().collect();
            for f in lengths.long {
                if !explained(&lines, f.first_line) {
                    offenders.push(format!(
                        "{}:{}: fn {} is {} lines",
                        file.strip_prefix(services().join("..")).unwrap_or(&file).display(),
                        f.first_line,
                        f.name,
                        f.lines
                    ));
                }
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "functions over {MAX_LINES} lines; split them, or say in a `//` comment above why not (naming \"80 lines\"):\n{}",
        offenders.join("\n")
    );
}

/// The modules a crate root declares (`mod x;` or `pub mod x;`, inline test
/// modules excepted).
fn declared_modules(root: &syn::File) -> Vec<String> {
    root.items
        .iter()
        .filter_map(|item| match item {
            syn::Item::Mod(m) if m.content.is_none() => Some(m.ident.to_string()),
            _ => None,
        })
        .collect()
}

/// The crate root's inner doc (`//!`) as one text.
fn crate_doc(root: &syn::File) -> String {
    root.attrs
        .iter()
        .filter(|a| a.path().is_ident("doc"))
        .filter_map(|a| match &a.meta {
            syn::Meta::NameValue(nv) => match &nv.value {
                syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(s), ..
                }) => Some(s.value()),
                _ => None,
            },
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn crate_docs_name_every_module() {
    let mut missing = Vec::new();
    for dir in crate_dirs() {
        let lib = dir.join("src/lib.rs");
        let Ok(text) = std::fs::read_to_string(&lib) else {
            continue;
        };
        let root = syn::parse_file(&text).unwrap();
        let doc = crate_doc(&root);
        for module in declared_modules(&root) {
            let named = [format!("`{module}`"), format!("[`{module}`]"), format!("{module}::")]
                .iter()
                .any(|form| doc.contains(form.as_str()));
            if !named {
                missing.push(format!("{}: module `{module}`", lib.display()));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "crate docs that do not name a module (add a line for it to the `//!` doc):\n{}",
        missing.join("\n")
    );
}
