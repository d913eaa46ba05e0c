//! Fetches URLs over HTTP, safely and politely.
