//! Two replicas that share nothing but bytes.
//!
//! Each replica holds a page-view counter (`GCounter`) and a tag set (`LwwElementSet`). Every
//! change produces a delta, which goes out as `codec` bytes; the receiver decodes and merges.
//! The link then drops: bytes in flight are lost and changes made while apart are not sent.
//! On reconnect each side sends its full state once, which repairs everything, however much
//! was lost. Along the way the receiver refuses corrupted bytes without touching its state.
//!
//! Run with `cargo run -p concord-crdt --example sync_over_bytes`.
#![allow(
    clippy::unwrap_used,
    reason = "an example: a failed step should stop it with a message"
)]

use std::error::Error;

use concord_crdt::clock::{LamportClock, LamportTimestamp};
use concord_crdt::codec::{self, DecodeError};
use concord_crdt::counter::GCounter;
use concord_crdt::set::LwwElementSet;
use concord_crdt::{Merge, ReplicaId};

type Tags = LwwElementSet<String, LamportTimestamp>;

/// One replica: its states and the clock that stamps its set operations.
struct Replica {
    name: &'static str,
    id: ReplicaId,
    clock: LamportClock,
    views: GCounter,
    tags: Tags,
}

impl Replica {
    fn new(name: &'static str, id: u128) -> Self {
        let id = ReplicaId::from_u128(id);
        Self {
            name,
            id,
            clock: LamportClock::new(id),
            views: GCounter::new(),
            tags: Tags::new(),
        }
    }

    /// Counts views and returns the delta's bytes.
    fn view(&mut self, n: u64) -> Vec<u8> {
        let delta = self.views.increment(self.id, n).unwrap();
        codec::encode(&delta).unwrap()
    }

    /// Tags (or untags) and returns the delta's bytes.
    fn tag(&mut self, tag: &str, present: bool) -> Vec<u8> {
        let stamp = self.clock.tick().unwrap();
        let delta = if present {
            self.tags.insert(tag.to_string(), stamp)
        } else {
            self.tags.remove(tag.to_string(), stamp)
        };
        codec::encode(&delta).unwrap()
    }

    /// Full state: one encoding per type.
    fn full_state(&self) -> [Vec<u8>; 2] {
        [
            codec::encode(&self.views).unwrap(),
            codec::encode(&self.tags).unwrap(),
        ]
    }

    /// Decodes one message and merges it. Each message is one codec encoding, and the type tag
    /// in its envelope says which state it is: a counter, or else a set.
    fn receive(&mut self, bytes: &[u8]) -> Result<(), Box<dyn Error>> {
        match codec::decode::<GCounter>(bytes) {
            Ok(views) => {
                self.views.merge(&views);
                Ok(())
            }
            Err(DecodeError::WrongType { .. }) => {
                let tags: Tags = codec::decode(bytes)?;
                // Advance the clock past every stamp merged in, so the next local operation
                // beats everything this replica has seen.
                if let Some(stamp) = tags.max_stamp() {
                    self.clock.observe(stamp)?;
                }
                self.tags.merge(&tags);
                Ok(())
            }
            Err(e) => Err(e.into()),
        }
    }

    fn show(&self) -> String {
        let tags: Vec<&str> = self.tags.iter().map(String::as_str).collect();
        format!(
            "{}: views={} tags=[{}]",
            self.name,
            self.views.value(),
            tags.join(", ")
        )
    }
}

fn main() {
    let mut a = Replica::new("a", 1);
    let mut b = Replica::new("b", 2);
    let mut delta_bytes = 0;

    // Connected: every change goes out as a delta, and arrives.
    println!("connected, shipping deltas:");
    for (n, tag) in [(3, "rust"), (5, "crdt")] {
        let msgs = [a.view(n), a.tag(tag, true)];
        for msg in &msgs {
            println!("  a -> b  {:>3} bytes", msg.len());
            delta_bytes += msg.len();
            b.receive(msg).unwrap();
        }
    }
    let msg = b.tag("sync", true);
    println!("  b -> a  {:>3} bytes", msg.len());
    delta_bytes += msg.len();
    a.receive(&msg).unwrap();
    println!("  {}\n  {}", a.show(), b.show());
    assert_eq!((a.views.value(), b.views.value()), (8, 8));
    assert_eq!(a.tags, b.tags);

    // A message damaged on the way is refused, and the replica is unchanged.
    let mut damaged = a.view(1);
    b.receive(&damaged).unwrap(); // the intact copy arrives
    let before = (b.views.clone(), b.tags.clone());
    damaged.truncate(damaged.len() - 1);
    let err = b.receive(&damaged).unwrap_err();
    println!("\na cut-off message is refused: {err}");
    let err = b.receive(b"GET / HTTP/1.1\r\n").unwrap_err();
    println!("so is a stray one: {err}");
    assert_eq!((b.views.clone(), b.tags.clone()), before);

    // The link drops. The deltas in flight are lost, and changes made while apart stay local.
    println!("\ndisconnected:");
    let _lost_in_flight = [a.view(10), a.tag("rust", false)];
    let _never_sent = [
        a.view(4),
        a.tag("offline", true),
        b.view(7),
        b.tag("crdt", false),
        b.tag("mobile", true),
    ];
    println!("  {}\n  {}", a.show(), b.show());
    assert_ne!(a.views, b.views);
    assert_ne!(a.tags, b.tags);

    // Reconnected: each side sends its full state once.
    println!("\nreconnected, exchanging full states:");
    let from_a = a.full_state();
    let from_b = b.full_state();
    for msg in &from_a {
        println!("  a -> b  {:>3} bytes", msg.len());
        b.receive(msg).unwrap();
    }
    for msg in &from_b {
        println!("  b -> a  {:>3} bytes", msg.len());
        a.receive(msg).unwrap();
    }
    println!("  {}\n  {}", a.show(), b.show());
    assert_eq!(a.views, b.views);
    assert_eq!(a.tags, b.tags);
    assert_eq!(a.views.value(), 3 + 5 + 1 + 10 + 4 + 7);
    assert_eq!(
        a.tags.iter().map(String::as_str).collect::<Vec<_>>(),
        ["mobile", "offline", "sync"]
    );

    // Sending the full states again changes nothing.
    for msg in from_a.iter().chain(&from_b) {
        a.receive(msg).unwrap();
        b.receive(msg).unwrap();
    }
    assert_eq!(
        (a.views.clone(), a.tags.clone()),
        (b.views.clone(), b.tags.clone())
    );
    let full: usize = from_a.iter().chain(&from_b).map(Vec::len).sum();
    println!(
        "\nconverged; deltas while connected: {delta_bytes} bytes in total, the full states: {full} bytes"
    );
}
