//! A user profile kept as last-writer-wins fields, stamped by hybrid logical clocks.
//!
//! Two data centres edit one profile. Each field is its own `LwwRegister` and the profile
//! derives `Merge`, which merges it field by field, so concurrent edits of different fields both
//! survive; concurrent edits of one field are decided by the hybrid
//! timestamps. A third peer whose clock runs ten minutes ahead sends a write: its stamp would
//! beat every honest write for ten minutes, so the receiving clock refuses it (`ClockSkew`)
//! and the replica refuses the state that carries it.
//!
//! The clocks read hand-moved time sources so the run is repeatable; in production use
//! `HybridClock::system(id)`.
//!
//! Run with `cargo run -p concord-crdt --example profile`.
#![allow(
    clippy::unwrap_used,
    reason = "an example: a failed step should stop it with a message"
)]

use concord_crdt::clock::{ClockSkew, HybridClock, HybridTimestamp, ManualTimeSource};
use concord_crdt::register::LwwRegister;
use concord_crdt::{Merge, ReplicaId};

/// A profile: every field merges on its own. A struct of CRDTs merged field by field is a CRDT
/// (the product of its fields' lattices), so the derive is the whole merge.
#[derive(Clone, Debug, PartialEq, Merge)]
struct Profile {
    name: LwwRegister<String>,
    email: LwwRegister<String>,
    city: LwwRegister<String>,
}

impl Profile {
    /// The greatest stamp in the profile: what a receiving clock must observe.
    fn max_stamp(&self) -> HybridTimestamp {
        *[self.name.stamp(), self.email.stamp(), self.city.stamp()]
            .into_iter()
            .max()
            .unwrap()
    }

    fn show(&self) -> String {
        format!(
            "name={:?} email={:?} city={:?}",
            self.name.value(),
            self.email.value(),
            self.city.value()
        )
    }
}

/// One data centre: its replica of the profile and its clock.
struct Site {
    name: &'static str,
    clock: HybridClock<ReplicaId, ManualTimeSource>,
    profile: Profile,
}

impl Site {
    /// Merges a profile received from a peer, after the clock accepted its stamps. A refused
    /// state is not merged at all: its stamps would otherwise reach the register and win.
    fn receive(&mut self, state: &Profile) -> Result<(), ClockSkew> {
        self.clock.observe(&state.max_stamp())?;
        self.profile.merge(state);
        Ok(())
    }
}

const START: u64 = 1_700_000_000_000;

fn main() {
    // Each site reads its own time source; they agree to within a few milliseconds.
    let eu_time = ManualTimeSource::new(START);
    let us_time = ManualTimeSource::new(START + 3);
    let mut eu_clock = HybridClock::new(ReplicaId::from_u128(1), eu_time.clone());
    let first = Profile {
        name: LwwRegister::new("Ada".to_string(), eu_clock.now()),
        email: LwwRegister::new("ada@example.org".to_string(), eu_clock.now()),
        city: LwwRegister::new("London".to_string(), eu_clock.now()),
    };
    let mut eu = Site {
        name: "eu",
        clock: eu_clock,
        profile: first.clone(),
    };
    let mut us = Site {
        name: "us",
        clock: HybridClock::new(ReplicaId::from_u128(2), us_time.clone()),
        profile: first.clone(),
    };
    us.clock.observe(&first.max_stamp()).unwrap();
    println!("created at eu, copied to us: {}", eu.profile.show());

    // Concurrent edits: eu changes the email, us changes the city, and both rename.
    eu_time.advance(40);
    us_time.advance(40);
    let eu_deltas = [
        eu.profile
            .email
            .set("ada@lovelace.example".to_string(), eu.clock.now()),
        eu.profile.name.set("Ada L.".to_string(), eu.clock.now()),
    ];
    let us_deltas = [
        us.profile.city.set("Paris".to_string(), us.clock.now()),
        us.profile
            .name
            .set("Ada Lovelace".to_string(), us.clock.now()),
    ];
    println!("\nconcurrent edits:");
    println!("  eu: {}", eu.profile.show());
    println!("  us: {}", us.profile.show());

    // Ship the field deltas: a delta of a field is a register, merged into that field.
    let [email, name] = &eu_deltas;
    us.clock.observe(email.stamp()).unwrap();
    us.clock.observe(name.stamp()).unwrap();
    us.profile.email.merge(email);
    us.profile.name.merge(name);
    let [city, name] = &us_deltas;
    eu.clock.observe(city.stamp()).unwrap();
    eu.clock.observe(name.stamp()).unwrap();
    eu.profile.city.merge(city);
    eu.profile.name.merge(name);

    println!("\nafter exchanging deltas:");
    for site in [&eu, &us] {
        println!("  {}: {}", site.name, site.profile.show());
    }
    assert_eq!(eu.profile, us.profile);
    assert_eq!(eu.profile.email.value(), "ada@lovelace.example");
    assert_eq!(eu.profile.city.value(), "Paris");
    // The two renames were concurrent: us wrote 3 ms later by its clock, so its stamp wins
    // everywhere. Last writer wins drops the other rename by design.
    assert_eq!(eu.profile.name.value(), "Ada Lovelace");
    println!("  different fields both survived; the later rename won on both sites");

    // A replica whose clock observed everything it merged wins with its next write.
    eu_time.advance(10);
    us_time.advance(10);
    eu.profile.name.set("Ada King".to_string(), eu.clock.now());
    us.receive(&eu.profile).unwrap(); // a full state this time
    assert_eq!(us.profile.name.value(), "Ada King");
    println!(
        "\neu renames again after seeing us's write: {}",
        us.profile.show()
    );

    // A peer whose clock runs ten minutes ahead writes the city.
    let skewed_time = ManualTimeSource::new(eu_time.millis() + 10 * 60 * 1000);
    let mut skewed_clock = HybridClock::new(ReplicaId::from_u128(3), skewed_time);
    let mut from_skewed = eu.profile.clone();
    from_skewed
        .city
        .set("Atlantis".to_string(), skewed_clock.now());
    let before = eu.profile.clone();
    let last_before = eu.clock.last();
    let refused = eu.receive(&from_skewed).unwrap_err();
    println!("\na peer with a skewed clock sends city=\"Atlantis\"; eu refuses it:\n  {refused}");
    assert!(refused.ahead_by() > eu.clock.max_drift());
    assert_eq!(eu.profile, before, "the refused state was not merged");
    assert_eq!(eu.clock.last(), last_before, "the clock is unchanged");

    // Had it been merged, the bogus write would beat every honest write for ten minutes.
    let mut unguarded = eu.profile.clone();
    unguarded.merge(&from_skewed);
    unguarded.city.set("Cambridge".to_string(), eu.clock.now());
    assert_eq!(unguarded.city.value(), "Atlantis");
    println!(
        "  (merged without the check, it would hide later honest writes: city stays \"Atlantis\")"
    );

    // The honest sites keep working and agreeing.
    eu_time.advance(5);
    eu.profile.city.set("Cambridge".to_string(), eu.clock.now());
    us.receive(&eu.profile).unwrap();
    assert_eq!(eu.profile, us.profile);
    println!("\nfinal, on both sites: {}", eu.profile.show());
}
