//! The frontier's indexes, so that a dispatch decision costs the host it is
//! about and not every known URL: per host the URLs that will be due, in the
//! order they are considered; the hosts by the time they may next be asked
//! for a URL; the jobs in flight by dispatch time, for their lease.
//!
//! Entries are not removed when a URL's state changes: a change adds the new
//! entry, and an old one is recognised as stale (it no longer matches the
//! URL's state) and dropped when the host's queue is next read. That keeps
//! every state change one insertion, wherever in the frontier it happens.

use std::collections::{BTreeSet, HashMap};

/// A URL of a host in the order it is considered: (not robots.txt, not
/// report-like, due time, key) — robots.txt first, then links whose text
/// names a report, then the earliest due.
pub(super) type Candidate = (bool, bool, i64, String);

/// The four ranks of (not robots.txt, not report-like), first to last.
const RANKS: [(bool, bool); 4] = [(false, false), (false, true), (true, false), (true, true)];

#[derive(Debug, Default)]
pub(super) struct Queues {
    by_host: HashMap<String, BTreeSet<Candidate>>,
    /// (time the host may be asked next, host), for hosts not in flight
    /// with something queued; `ready_at` is the reverse map.
    ready: BTreeSet<(i64, String)>,
    ready_at: HashMap<String, i64>,
    /// (dispatch time, key) of the jobs dispatched, stale ones included.
    in_flight: BTreeSet<(i64, String)>,
}

impl Queues {
    pub fn push(&mut self, host: &str, candidate: Candidate) {
        match self.by_host.get_mut(host) {
            Some(queue) => {
                queue.insert(candidate);
            }
            None => {
                self.by_host.insert(host.to_string(), BTreeSet::from([candidate]));
            }
        }
    }

    /// The earliest due time queued for `host` (stale entries included, so
    /// possibly too early: the host is then read once for nothing).
    pub fn earliest_due(&self, host: &str) -> Option<i64> {
        let queue = self.by_host.get(host)?;
        RANKS
            .iter()
            .filter_map(|&rank| in_rank(queue, rank).next().map(|c| c.2))
            .min()
    }

    /// `host` may be asked for a URL from `at` on (`None`: not until
    /// something changes).
    pub fn set_ready(&mut self, host: &str, at: Option<i64>) {
        if let Some(old) = self.ready_at.remove(host) {
            self.ready.remove(&(old, host.to_string()));
        }
        if let Some(at) = at {
            self.ready.insert((at, host.to_string()));
            self.ready_at.insert(host.to_string(), at);
        }
    }

    /// The host that has waited longest among those ready at `now`, taken
    /// out of the ready set.
    pub fn pop_ready(&mut self, now: i64) -> Option<String> {
        let first = self.ready.first().filter(|(at, _)| *at <= now)?.clone();
        self.ready.remove(&first);
        self.ready_at.remove(&first.1);
        Some(first.1)
    }

    /// The entries of `host` due at `now`, in the order they are considered,
    /// for which `live` holds; the due ones for which it does not are
    /// dropped.
    pub fn due(&mut self, host: &str, now: i64, live: impl Fn(&Candidate) -> bool) -> Vec<Candidate> {
        let Some(queue) = self.by_host.get_mut(host) else {
            return Vec::new();
        };
        let mut due = Vec::new();
        let mut stale = Vec::new();
        for rank in RANKS {
            for candidate in in_rank(queue, rank).take_while(|c| c.2 <= now) {
                if live(candidate) {
                    due.push(candidate.clone());
                } else {
                    stale.push(candidate.clone());
                }
            }
        }
        for candidate in &stale {
            queue.remove(candidate);
        }
        if queue.is_empty() {
            self.by_host.remove(host);
        }
        due
    }

    /// Takes out `candidate` of `host` (its URL left memory).
    pub fn remove(&mut self, host: &str, candidate: &Candidate) {
        if let Some(queue) = self.by_host.get_mut(host) {
            queue.remove(candidate);
            if queue.is_empty() {
                self.by_host.remove(host);
            }
        }
    }

    /// Whether any host has an entry due at `now` for which `live` holds.
    pub fn any_due(&self, now: i64, live: impl Fn(&Candidate) -> bool) -> bool {
        self.by_host.values().any(|queue| {
            RANKS
                .iter()
                .any(|&rank| in_rank(queue, rank).take_while(|c| c.2 <= now).any(&live))
        })
    }

    pub fn dispatched(&mut self, at: i64, key: &str) {
        self.in_flight.insert((at, key.to_string()));
    }

    /// Takes out the in-flight entries dispatched at or before `before`.
    pub fn dispatched_before(&mut self, before: i64) -> Vec<(i64, String)> {
        let mut expired = Vec::new();
        while let Some(first) = self.in_flight.first().filter(|(at, _)| *at <= before) {
            let first = first.clone();
            self.in_flight.remove(&first);
            expired.push(first);
        }
        expired
    }

    /// The in-flight entries (stale ones included).
    pub fn in_flight(&self) -> impl Iterator<Item = &(i64, String)> {
        self.in_flight.iter()
    }
}

/// The entries of `queue` of one rank, earliest due first.
fn in_rank(queue: &BTreeSet<Candidate>, (a, b): (bool, bool)) -> impl Iterator<Item = &Candidate> {
    queue
        .range((a, b, i64::MIN, String::new())..)
        .take_while(move |c| (c.0, c.1) == (a, b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(robots: bool, report: bool, due: i64, key: &str) -> Candidate {
        (!robots, !report, due, key.to_string())
    }

    #[test]
    fn due_entries_come_in_rank_then_time_order_and_stale_ones_are_dropped() {
        let mut q = Queues::default();
        q.push("h", c(false, false, 5, "late"));
        q.push("h", c(false, false, 1, "early"));
        q.push("h", c(false, true, 9, "report"));
        q.push("h", c(true, false, 3, "robots"));
        q.push("h", c(false, false, 50, "future"));
        q.push("h", c(false, false, 2, "stale"));
        assert_eq!(q.earliest_due("h"), Some(1));
        let due = q.due("h", 10, |c| c.3 != "stale");
        let keys: Vec<&str> = due.iter().map(|c| c.3.as_str()).collect();
        assert_eq!(keys, ["robots", "report", "early", "late"]);
        assert!(q.due("h", 10, |_| true).iter().all(|c| c.3 != "stale"), "dropped");
        assert!(q.any_due(10, |_| true));
        assert!(!q.any_due(0, |_| true));
    }

    #[test]
    fn hosts_come_ready_in_time_order_once() {
        let mut q = Queues::default();
        q.set_ready("b", Some(5));
        q.set_ready("a", Some(7));
        q.set_ready("b", Some(8));
        assert_eq!(q.pop_ready(6), None, "b moved to 8");
        assert_eq!(q.pop_ready(10).as_deref(), Some("a"));
        assert_eq!(q.pop_ready(10).as_deref(), Some("b"));
        assert_eq!(q.pop_ready(10), None);
        q.set_ready("c", Some(1));
        q.set_ready("c", None);
        assert_eq!(q.pop_ready(10), None);
    }

    #[test]
    fn in_flight_entries_expire_in_dispatch_order() {
        let mut q = Queues::default();
        q.dispatched(20, "b");
        q.dispatched(10, "a");
        assert_eq!(q.dispatched_before(15), [(10, "a".to_string())]);
        assert_eq!(q.in_flight().count(), 1);
    }
}
