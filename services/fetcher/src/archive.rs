//! The web archive: every HTTP response the fetcher receives, written to
//! WARC 1.1 files (gzip per record, as crawlers and `warcio` expect), so
//! `townreports reprocess` can parse and extract again without fetching.
//!
//! Each fetcher process appends to its own files (`townreports-<start
//! ms>-<pid>-<n>.warc.gz`), rolled over at [`SEGMENT_BYTES`], so replicas
//! sharing a volume never write to one file. A record carries the fetch job
//! as JSON in a `townreports-fetch-job` field: replaying needs to know what
//! kind of page was asked for, not only what came back.
//!
//! The body is stored decoded (reqwest undoes gzip/brotli), so the record's
//! HTTP headers drop `Content-Encoding` and `Transfer-Encoding` and state
//! the decoded length.

use std::fs::{File, OpenOptions};
use std::io::{BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use flate2::Compression;
use flate2::write::GzEncoder;
use reqwest::header::{self, HeaderMap};
use townreports_proto::v1::FetchJob;
use warc::{BufferedBody, Record, RecordBuilder, RecordType, WarcHeader, WarcReader, WarcWriter};

/// A file is closed and a new one begun past this size.
pub const SEGMENT_BYTES: u64 = 1 << 30;
/// The WARC field that carries the fetch job.
const JOB_FIELD: &str = "townreports-fetch-job";
/// When the response arrived, in Unix ms (WARC-Date keeps only seconds here).
const FETCHED_AT_FIELD: &str = "townreports-fetched-at-ms";

#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    #[error("cannot write the web archive in {dir}: {source}. Is the disk full or the directory read-only?")]
    Write { dir: String, source: std::io::Error },
    #[error("cannot read the web archive file {path}: {message}")]
    Read { path: String, message: String },
}

/// One response as received.
pub struct Exchange<'a> {
    pub job: &'a FetchJob,
    pub final_url: &'a str,
    pub status: u16,
    pub headers: &'a HeaderMap,
    pub body: &'a [u8],
    pub fetched_at_ms: i64,
}

/// One response as read back from the archive.
#[derive(Debug, Clone, PartialEq)]
pub struct ArchivedResponse {
    pub job: FetchJob,
    pub final_url: String,
    pub status: u16,
    pub content_type: String,
    pub body: Vec<u8>,
    pub fetched_at_ms: i64,
}

struct Segment {
    file: File,
    written: u64,
}

/// The archive one fetcher process writes.
pub struct WarcArchive {
    dir: PathBuf,
    prefix: String,
    current: Mutex<(u32, Option<Segment>)>,
}

impl WarcArchive {
    pub fn open(dir: &Path) -> Result<WarcArchive, ArchiveError> {
        std::fs::create_dir_all(dir).map_err(|source| write_error(dir, source))?;
        let started = chrono::Utc::now().timestamp_millis();
        Ok(WarcArchive {
            dir: dir.to_path_buf(),
            // Replicas sharing one volume must not share names: in
            // containers every process is pid 1, so the pod's host name
            // (HOSTNAME, set by Kubernetes) goes in too.
            prefix: format!(
                "townreports-{started}-{}-{}",
                std::env::var("HOSTNAME")
                    .unwrap_or_default()
                    .chars()
                    .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
                    .collect::<String>(),
                std::process::id()
            ),
            current: Mutex::new((0, None)),
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Appends one response record (and a `warcinfo` record first in a new
    /// file). Blocking: call it off the async threads.
    pub fn append(&self, exchange: &Exchange) -> Result<(), ArchiveError> {
        let record = response_record(exchange).map_err(|source| write_error(&self.dir, source))?;
        // A panic while holding the lock leaves at worst a torn last record,
        // which readers skip.
        let mut current = self.current.lock().unwrap_or_else(|e| e.into_inner());
        let (number, segment) = &mut *current;
        if segment.as_ref().is_none_or(|s| s.written >= SEGMENT_BYTES) {
            *number += 1;
            let path = self.dir.join(format!("{}-{number:05}.warc.gz", self.prefix));
            let file = OpenOptions::new()
                .create_new(true)
                .append(true)
                .open(&path)
                .map_err(|source| write_error(&self.dir, source))?;
            let mut fresh = Segment { file, written: 0 };
            let info = gzip_member(&warcinfo_record(&path)).map_err(|source| write_error(&self.dir, source))?;
            fresh.write(&info).map_err(|source| write_error(&self.dir, source))?;
            *segment = Some(fresh);
        }
        let segment = segment.as_mut().expect("opened above");
        let member = gzip_member(&record).map_err(|source| write_error(&self.dir, source))?;
        segment.write(&member).map_err(|source| write_error(&self.dir, source))
    }
}

impl Segment {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.file.write_all(bytes)?;
        // Flushed per record: a fetcher killed a moment later has lost at
        // most the record being written.
        self.file.flush()?;
        self.written += bytes.len() as u64;
        Ok(())
    }
}

fn write_error(dir: &Path, source: std::io::Error) -> ArchiveError {
    ArchiveError::Write {
        dir: dir.display().to_string(),
        source,
    }
}

fn gzip_member(record: &Record<BufferedBody>) -> std::io::Result<Vec<u8>> {
    let mut gzip = GzEncoder::new(Vec::new(), Compression::fast());
    WarcWriter::new(&mut gzip).write(record)?;
    gzip.finish()
}

fn warcinfo_record(path: &Path) -> Record<BufferedBody> {
    let body = format!(
        "software: townreports/{}\r\nformat: WARC File Format 1.1\r\nfilename: {}\r\n",
        env!("CARGO_PKG_VERSION"),
        path.file_name().map(|n| n.to_string_lossy()).unwrap_or_default()
    );
    RecordBuilder::default()
        .version("1.1".into())
        .warc_type(RecordType::WarcInfo)
        .header(WarcHeader::ContentType, "application/warc-fields")
        .body(body.into_bytes())
        .build()
        .expect("a warcinfo record with a body is valid")
}

fn response_record(exchange: &Exchange) -> std::io::Result<Record<BufferedBody>> {
    let mut block = format!("HTTP/1.1 {} {}\r\n", exchange.status, reason(exchange.status)).into_bytes();
    for (name, value) in exchange.headers {
        if matches!(
            *name,
            header::CONTENT_ENCODING | header::TRANSFER_ENCODING | header::CONTENT_LENGTH
        ) {
            continue;
        }
        block.extend_from_slice(name.as_str().as_bytes());
        block.extend_from_slice(b": ");
        block.extend_from_slice(value.as_bytes());
        block.extend_from_slice(b"\r\n");
    }
    block.extend_from_slice(format!("content-length: {}\r\n\r\n", exchange.body.len()).as_bytes());
    block.extend_from_slice(exchange.body);
    let job = serde_json::to_string(exchange.job).map_err(std::io::Error::other)?;
    let date = chrono::DateTime::from_timestamp_millis(exchange.fetched_at_ms).unwrap_or_else(chrono::Utc::now);
    RecordBuilder::default()
        .version("1.1".into())
        .warc_type(RecordType::Response)
        .date(date)
        .header(WarcHeader::TargetURI, exchange.final_url)
        .header(WarcHeader::ContentType, "application/http;msgtype=response")
        .header(WarcHeader::Unknown(JOB_FIELD.into()), job)
        .header(
            WarcHeader::Unknown(FETCHED_AT_FIELD.into()),
            exchange.fetched_at_ms.to_string(),
        )
        .body(block)
        .build()
        .map_err(std::io::Error::other)
}

fn reason(status: u16) -> &'static str {
    reqwest::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("")
}

/// Where the embedded default keeps the archive in its data directory.
pub fn data_dir_archive(data_dir: &Path) -> PathBuf {
    data_dir.join("warc")
}

/// The archive files in `dir`, oldest first (names begin with the start time).
pub fn archive_files(dir: &Path) -> Result<Vec<PathBuf>, ArchiveError> {
    let entries = std::fs::read_dir(dir).map_err(|e| ArchiveError::Read {
        path: dir.display().to_string(),
        message: e.to_string(),
    })?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.to_string_lossy().ends_with(".warc.gz"))
        .collect();
    files.sort();
    Ok(files)
}

/// Every response record of one archive file, in order. A torn last record
/// (a fetcher killed while writing) ends the file with an error item.
pub fn read_file(path: &Path) -> Result<Vec<Result<ArchivedResponse, ArchiveError>>, ArchiveError> {
    let read_error = |message: String| ArchiveError::Read {
        path: path.display().to_string(),
        message,
    };
    let file = File::open(path).map_err(|e| read_error(e.to_string()))?;
    let decoder = flate2::read::MultiGzDecoder::new(BufReader::new(file));
    let reader = WarcReader::new(BufReader::new(decoder));
    let mut out = Vec::new();
    for record in reader.iter_records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                out.push(Err(read_error(e.to_string())));
                break;
            }
        };
        if *record.warc_type() != RecordType::Response {
            continue;
        }
        out.push(archived(&record).map_err(read_error));
    }
    Ok(out)
}

fn archived(record: &Record<BufferedBody>) -> Result<ArchivedResponse, String> {
    let job: FetchJob = record
        .header(WarcHeader::Unknown(JOB_FIELD.into()))
        .ok_or_else(|| format!("record {} has no {JOB_FIELD} field", record.warc_id()))
        .and_then(|j| serde_json::from_str(&j).map_err(|e| e.to_string()))?;
    let final_url = record
        .header(WarcHeader::TargetURI)
        .map(|u| u.into_owned())
        .unwrap_or_else(|| job.url.clone());
    let block = record.body();
    let mut headers = [httparse::EMPTY_HEADER; 128];
    let mut response = httparse::Response::new(&mut headers);
    let head = match response.parse(block) {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) => return Err("the HTTP head is cut off".into()),
        Err(e) => return Err(format!("unreadable HTTP head: {e}")),
    };
    let content_type = response
        .headers
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case("content-type"))
        .map(|h| String::from_utf8_lossy(h.value).into_owned())
        .unwrap_or_default();
    let mut body = Vec::new();
    (&block[head..]).read_to_end(&mut body).map_err(|e| e.to_string())?;
    Ok(ArchivedResponse {
        final_url,
        status: response.code.unwrap_or(0),
        content_type,
        body,
        fetched_at_ms: record
            .header(WarcHeader::Unknown(FETCHED_AT_FIELD.into()))
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| record.date().timestamp_millis()),
        job,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use townreports_proto::v1::PageKind;

    fn job(url: &str) -> FetchJob {
        FetchJob {
            url: url.into(),
            site_id: "a".into(),
            kind: PageKind::Article as i32,
            anchor_text: "镇2023年政府工作报告".into(),
            scheduled_at_ms: 7,
            ..Default::default()
        }
    }

    #[test]
    fn responses_round_trip_across_records_and_files() {
        let dir = tempfile::tempdir().unwrap();
        let archive = WarcArchive::open(dir.path()).unwrap();
        let mut headers = HeaderMap::new();
        headers.insert(header::CONTENT_TYPE, "text/html; charset=gb2312".parse().unwrap());
        headers.insert(header::CONTENT_ENCODING, "gzip".parse().unwrap());
        let gbk = encoding_rs::GBK.encode("<p>城关镇</p>").0.into_owned();
        let jobs = [job("http://127.0.0.1/a.html"), job("http://127.0.0.1/b.pdf")];
        for (i, j) in jobs.iter().enumerate() {
            archive
                .append(&Exchange {
                    job: j,
                    final_url: &j.url,
                    status: if i == 0 { 200 } else { 404 },
                    headers: &headers,
                    body: &gbk,
                    fetched_at_ms: 1_700_000_000_123,
                })
                .unwrap();
        }
        let files = archive_files(dir.path()).unwrap();
        assert_eq!(files.len(), 1);
        let read: Vec<ArchivedResponse> = read_file(&files[0]).unwrap().into_iter().map(Result::unwrap).collect();
        assert_eq!(read.len(), 2);
        assert_eq!(read[0].job, jobs[0]);
        assert_eq!(read[0].status, 200);
        assert_eq!(read[1].status, 404);
        assert_eq!(read[0].body, gbk, "bytes as received, charset untouched");
        assert_eq!(read[0].content_type, "text/html; charset=gb2312");
        assert_eq!(read[0].fetched_at_ms, 1_700_000_000_123);

        // A torn tail (killed mid-write) keeps the records before it.
        let bytes = std::fs::read(&files[0]).unwrap();
        std::fs::write(&files[0], &bytes[..bytes.len() - 20]).unwrap();
        let torn = read_file(&files[0]).unwrap();
        assert!(torn[0].is_ok());
        assert!(torn.last().unwrap().is_err());
    }

    #[test]
    fn an_unwritable_directory_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("not-a-dir");
        std::fs::write(&file, b"x").unwrap();
        let err = WarcArchive::open(&file.join("warc")).err().unwrap();
        assert!(err.to_string().contains("Is the disk full"), "{err}");
    }
}
