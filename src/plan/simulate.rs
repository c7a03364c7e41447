//! The collision count, simulated exactly: a loader cuts the file into batches of `batch`
//! consecutive rows and runs `parallel` of them at a time, taking the next batch in file order
//! as one finishes, so batch `i` runs alongside batches `i-parallel+1 ..= i+parallel-1`.
//! A collision is a batch that needs a parent which another batch running alongside it
//! also locks: for one parent whose batches are `b1 < b2 < …`, every gap `b(k+1) - b(k)`
//! smaller than `parallel`.

use serde::Serialize;

/// Collisions over many parents.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Collisions {
    /// Batches that wait for a parent another running batch holds.
    pub collisions: u64,
    /// Parents with at least one collision.
    pub parents: u64,
}

impl Collisions {
    /// Add one parent, given the output positions of its rows in ascending order.
    pub fn add_sorted(
        &mut self,
        positions: impl IntoIterator<Item = u64>,
        batch: u64,
        parallel: u64,
    ) {
        let mut previous: Option<u64> = None;
        let mut found = 0;
        for position in positions {
            let current = position / batch;
            if let Some(previous) = previous
                && current != previous
                && current - previous < parallel
            {
                found += 1;
            }
            previous = Some(current);
        }
        self.collisions += found;
        self.parents += u64::from(found > 0);
    }

    pub fn plus(self, other: Collisions) -> Collisions {
        Collisions {
            collisions: self.collisions + other.collisions,
            parents: self.parents + other.parents,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gaps_shorter_than_the_parallel_window_collide() {
        let mut c = Collisions::default();
        // Batches 0, 0, 1, 4, 9 with 3 in parallel: 0→1 collides, 1→4 and 4→9 do not.
        c.add_sorted([0, 5, 10, 40, 90], 10, 3);
        assert_eq!(
            c,
            Collisions {
                collisions: 1,
                parents: 1
            }
        );
        let mut serial = Collisions::default();
        serial.add_sorted([0, 10, 20], 10, 1);
        assert_eq!(serial.collisions, 0);
    }
}
