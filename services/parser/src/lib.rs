//! The parser: fetched bytes in; a clean document for the extractor and
//! the links the crawler should follow out.
//!
//! Start at [`parse_fetched`]: an attachment (PDF, DOCX, DOC, WPS, OFD,
//! XLS, ET, XLSX, RTF) is recognised by its bytes and read to text in
//! [`attachment`]; anything else goes to [`parse_page`], which runs the
//! pure steps in order:
//!
//! 1. [`charset`]: bytes to text (BOM, header, `<meta>`, detection; lying
//!    declarations lose).
//! 2. [`guard`]: pages too deep for a tree are read as text; tags with
//!    thousands of attributes lose them.
//! 3. [`stats`]: one pass measuring every element (text, link text,
//!    chrome, density), so nothing after it walks a subtree twice.
//! 4. [`content`] and [`text`]: the article container (CMS markers, known
//!    containers, else density) rendered one paragraph per line, with
//!    [`chrome`] left out.
//! 5. [`meta`], [`disclosure`], [`title`]: the page's metadata.
//! 6. [`links`]: anchors, menus and script-only links, classified.
//!
//! `page` holds [`Page`] and [`parse_fetched`]; [`Page`] then gives the
//! extractor's [`ParsedDocument`] and the scheduler's [`DiscoveredLinks`];
//! [`reading`] is that whole path for one fetched response, as the worker
//! and `townreports reprocess` both take it. Nothing here touches NATS; the glue is [`worker`].
//!
//! [`ParsedDocument`]: townreports_proto::v1::ParsedDocument
//! [`DiscoveredLinks`]: townreports_proto::v1::DiscoveredLinks

pub mod attachment;
pub mod charset;
pub mod chrome;
pub mod content;
pub mod disclosure;
pub mod guard;
pub mod links;
pub mod meta;
mod page;
pub mod reading;
pub mod stats;
pub mod text;
pub mod title;
pub mod worker;

pub use charset::{CharsetSource, Decoded, decode};
pub use links::{LinkKind, PageLink};
pub use page::{FOUND_ON_TITLE, MIN_BODY_LETTERS, Page, Parsed, has_own_body, parse_fetched, parse_page};
