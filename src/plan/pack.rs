//! Stage 3, pack batches: decide where each parent group goes in the output, so that batches
//! (every `batch` consecutive rows, as a loader cuts them) hold whole groups.
//!
//! - Groups larger than a batch come first, each from a batch boundary, over consecutive
//!   batches: they need serial mode whatever the order.
//! - Then every batch is filled with whole groups, largest first that fits the room left; rows
//!   without a parent fill what no group fits.
//! - When nothing fits exactly, the smallest group larger than the room is split, and the rest
//!   of it waits until `parallel` batches later, so its two parts never run at the same time.

use std::cmp::Reverse;
use std::collections::{BTreeMap, VecDeque};

/// `starts` value of a group whose rows sit in several pieces.
const SPLIT: u32 = u32::MAX;

/// Where every group's rows go: output positions (0-based, header excluded).
#[derive(Debug)]
pub struct Placement {
    starts: Vec<u32>,
    /// Pieces of split groups: `(group, start, len)`, sorted.
    pieces: Vec<(u32, u32, u32)>,
    /// Pieces holding the rows without a parent, in position order.
    free: Vec<(u32, u32)>,
    /// Groups larger than a batch, in output order.
    pub serial: Vec<u32>,
    /// Groups of at most a batch that had to be split, sorted.
    pub split: Vec<u32>,
    /// Rows up to the end of the batch where the last group larger than a batch ends.
    pub serial_rows: u32,
}

impl Placement {
    /// The output positions of a group's rows, in row order (they ascend).
    pub fn positions(&self, group: u32, out: &mut Vec<u32>, count: usize) {
        out.clear();
        let start = self.starts[group as usize];
        if start != SPLIT {
            out.extend(start..start + count as u32);
            return;
        }
        let first = self.pieces.partition_point(|p| p.0 < group);
        for &(_, start, len) in self.pieces[first..].iter().take_while(|p| p.0 == group) {
            out.extend(start..start + len);
        }
    }

    /// The output positions of the rows without a parent, in row order.
    pub fn free_positions(&self, out: &mut Vec<u32>) {
        out.clear();
        for &(start, len) in &self.free {
            out.extend(start..start + len);
        }
    }
}

struct Packer<'s> {
    sizes: &'s [u32],
    batch: u32,
    parallel: u32,
    pos: u32,
    total: u32,
    starts: Vec<u32>,
    pieces: Vec<(u32, u32, u32)>,
    free: Vec<(u32, u32)>,
    free_left: u32,
    /// Groups (or the rest of split ones) waiting to be placed, by piece size; each list is
    /// popped from the back.
    waiting: BTreeMap<u32, Vec<u32>>,
    /// Rests of split groups: `(first batch they may go in, group, len)`.
    deferred: VecDeque<(u32, u32, u32)>,
    split: Vec<u32>,
}

impl Packer<'_> {
    fn take(&mut self, size: u32) -> u32 {
        let Some(bucket) = self.waiting.get_mut(&size) else {
            return 0;
        };
        let group = bucket.pop().unwrap_or_default();
        if bucket.is_empty() {
            self.waiting.remove(&size);
        }
        group
    }

    fn put(&mut self, group: u32, len: u32) {
        self.waiting.entry(len).or_default().push(group);
    }

    fn place(&mut self, group: u32, len: u32) {
        let whole = len == self.sizes[group as usize] && self.starts[group as usize] != SPLIT;
        if whole {
            self.starts[group as usize] = self.pos;
        } else {
            self.starts[group as usize] = SPLIT;
            self.pieces.push((group, self.pos, len));
        }
        self.pos += len;
    }

    /// Fill the current batch up to its end (or the end of the file).
    fn fill_batch(&mut self) {
        let chunk = self.pos / self.batch;
        while let Some(&(ready, group, len)) = self.deferred.front() {
            if ready > chunk {
                break;
            }
            self.deferred.pop_front();
            self.put(group, len);
        }
        let mut room = (self.batch - self.pos % self.batch) % self.batch;
        if room == 0 {
            room = self.batch;
        }
        while room > 0 && self.pos < self.total {
            // The largest whole group (or ready rest) that fits.
            if let Some(&size) = self.waiting.range(..=room).next_back().map(|(s, _)| s) {
                let group = self.take(size);
                self.place(group, size);
                room -= size;
                continue;
            }
            // Rows without a parent fit anywhere.
            if self.free_left > 0 {
                let n = self.free_left.min(room);
                self.free.push((self.pos, n));
                self.pos += n;
                self.free_left -= n;
                room -= n;
                continue;
            }
            // Split the smallest group that does not fit; its rest waits `parallel` batches.
            if let Some(&size) = self.waiting.range(room + 1..).next().map(|(s, _)| s) {
                let group = self.take(size);
                self.starts[group as usize] = SPLIT;
                self.place(group, room);
                self.deferred
                    .push_back((chunk.saturating_add(self.parallel), group, size - room));
                self.split.push(group);
                room = 0;
                continue;
            }
            // Only rests that cannot wait any longer: the end of the file is near.
            if let Some((_, group, len)) = self.deferred.pop_front() {
                let n = len.min(room);
                self.place(group, n);
                if n < len {
                    self.deferred
                        .push_front((chunk.saturating_add(self.parallel), group, len - n));
                }
                room -= n;
                continue;
            }
            break;
        }
    }
}

/// Place groups of these sizes (in key order) and `free` rows without a parent into batches.
/// The total must fit in a `u32`.
pub fn pack(sizes: &[u32], free: u32, batch: u32, parallel: u32) -> Placement {
    let batch = batch.max(1);
    let total = sizes.iter().map(|s| u64::from(*s)).sum::<u64>() + u64::from(free);
    let total = u32::try_from(total).unwrap_or(u32::MAX);
    let mut serial: Vec<u32> = (0..sizes.len() as u32)
        .filter(|g| sizes[*g as usize] > batch)
        .collect();
    serial.sort_by_key(|g| (Reverse(sizes[*g as usize]), *g));
    let mut packer = Packer {
        sizes,
        batch,
        parallel: parallel.max(1),
        pos: 0,
        total,
        starts: vec![0; sizes.len()],
        pieces: Vec::new(),
        free: Vec::new(),
        free_left: free,
        waiting: BTreeMap::new(),
        deferred: VecDeque::new(),
        split: Vec::new(),
    };
    // Pushed in reverse so that pops come in key order.
    for group in (0..sizes.len() as u32).rev() {
        let size = sizes[group as usize];
        if size > 0 && size <= batch {
            packer.put(group, size);
        }
    }
    for &group in &serial {
        packer.place(group, sizes[group as usize]);
        if !packer.pos.is_multiple_of(batch) {
            packer.fill_batch();
        }
    }
    let serial_rows = packer.pos;
    while packer.pos < packer.total {
        let before = packer.pos;
        packer.fill_batch();
        if packer.pos == before {
            break;
        }
    }
    let mut split = packer.split;
    split.sort_unstable();
    split.dedup();
    let mut pieces = packer.pieces;
    pieces.sort_unstable();
    Placement {
        starts: packer.starts,
        pieces,
        free: packer.free,
        serial,
        split,
        serial_rows,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout(sizes: &[u32], free: u32, batch: u32, parallel: u32) -> Vec<Option<u32>> {
        let placement = pack(sizes, free, batch, parallel);
        let total = sizes.iter().sum::<u32>() + free;
        let mut at = vec![None; total as usize];
        let mut positions = Vec::new();
        for (group, size) in sizes.iter().enumerate() {
            placement.positions(group as u32, &mut positions, *size as usize);
            for p in &positions {
                assert!(at[*p as usize].is_none(), "position {p} used twice");
                at[*p as usize] = Some(group as u32);
            }
        }
        placement.free_positions(&mut positions);
        assert_eq!(positions.len(), free as usize);
        for p in &positions {
            assert!(at[*p as usize].is_none());
        }
        at
    }

    fn batches_of(at: &[Option<u32>], group: u32, batch: u32) -> Vec<usize> {
        let mut batches: Vec<usize> = at
            .iter()
            .enumerate()
            .filter(|(_, g)| **g == Some(group))
            .map(|(p, _)| p / batch as usize)
            .collect();
        batches.dedup();
        batches
    }

    #[test]
    fn whole_groups_fill_batches_exactly() {
        let sizes = [3, 1, 2, 4, 1, 1, 2, 2];
        let at = layout(&sizes, 0, 4, 2);
        for group in 0..sizes.len() as u32 {
            assert_eq!(batches_of(&at, group, 4).len(), 1, "group {group}: {at:?}");
        }
    }

    #[test]
    fn large_groups_come_first_on_consecutive_batches() {
        let sizes = [2, 9, 1, 1];
        let placement = pack(&sizes, 0, 4, 2);
        assert_eq!(placement.serial, vec![1]);
        let at = layout(&sizes, 0, 4, 2);
        assert_eq!(batches_of(&at, 1, 4), vec![0, 1, 2]);
        assert_eq!(placement.serial_rows, 12);
    }

    #[test]
    fn a_split_rest_waits_until_its_first_part_is_done() {
        // Three groups of 3 in batches of 4: one must be split.
        let sizes = [3, 3, 3, 3, 3, 3, 3, 3];
        let placement = pack(&sizes, 0, 4, 2);
        assert!(!placement.split.is_empty());
        let at = layout(&sizes, 0, 4, 2);
        for group in &placement.split {
            let batches = batches_of(&at, *group, 4);
            assert!(batches.windows(2).all(|w| w[1] - w[0] >= 2), "{batches:?}");
        }
    }

    #[test]
    fn free_rows_fill_the_gaps() {
        let sizes = [3, 3, 3];
        let placement = pack(&sizes, 3, 4, 2);
        assert!(placement.split.is_empty());
    }
}
