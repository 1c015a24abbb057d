//! Packing: embedding child subsegments into their parent's document, so that a request that made
//! 20 calls costs one document instead of 21.
//!
//! This is not a translation rule (translation.md §2.2 keeps per-span translation flat); it is a
//! step between translation and sending. Only documents of one batch are packed, and only under a
//! service-local root (a document that is a segment, not a subsegment): a child whose parent is in
//! the batch is moved into the parent's `subsegments`, recursively. Embedded subsegments lose
//! `trace_id`, `parent_id` and `type`, which X-Ray takes from their position. A packed tree that
//! would not fit the byte budget is sent flat instead (see [`crate::batch`]).
//!
//! # Precursor ids
//!
//! X-Ray's `precursor_ids` are the "ids of sibling subsegments that completed before this one"
//! (xray-protocol.md §1.4, an optional subsegment field). Per-span translation never writes them
//! (translation.md §2.2): a flat document has no siblings in hand. Packing does, so every
//! *embedded* subsegment gets them by this rule:
//!
//! * **Siblings** are the subsegments embedded under the same parent in the same packed tree, in
//!   the order of their `subsegments` array (start time, ties in batch order).
//! * A sibling `p` is a **precursor** of `s` when `p` comes before `s` in that order and `p` had
//!   ended when `s` started (`p.end_time <= s.start_time`). A sibling that overlaps `s` (a parallel
//!   call) or has no end time is not a precursor. Because a precursor always comes earlier in the
//!   order, no two subsegments name each other.
//! * **Bounded per subsegment:** a subsegment lists at most [`MAX_PRECURSORS_PER_SUBSEGMENT`] of
//!   its precursors, the ones that ended last (closest to its start), written in the order they
//!   ended (earliest first, ties in sibling order). For calls made one after the other, a
//!   non-empty list always ends with the call just before.
//! * **Bounded per document:** a packed tree carries at most [`MAX_PRECURSORS_PER_DOCUMENT`] ids in
//!   all. When the per-subsegment lists would exceed that, every list in the tree is cut to the same
//!   smaller length `k` (its `k` latest-ending precursors), `k` being the largest that fits, down
//!   to 0 (no precursor ids in that document). So precursor ids add at most
//!   [`MAX_PRECURSOR_BYTES_PER_DOCUMENT`] bytes to a document; they are part of the packed
//!   document, so the size check of [`crate::batch`] counts them like any other field (a tree that
//!   fits only without them is sent flat; [`Packed::clear_precursors`] lets a sender try the tree
//!   without them first).
//! * **Only embedded subsegments.** The root and independent documents never carry precursor ids:
//!   the spec does not ask for them there, and [`unpack`] (the fallback to independent documents)
//!   removes them again, so the flat output is exactly what translation produced.
//!
//! The X-Ray SDKs (Java, Node.js, .NET) keep precursor ids as a set of sibling ids the application
//! adds to (`addPrecursorId`/`AddPrecursorId`, "a subsegment id to record ordering"); here the
//! set is derived from the span times, so only ordering facts the times prove are written.

use std::cmp::Ordering;
use std::collections::HashMap;

use otel_xray_model::{Segment, SegmentId, TraceId};

/// The most precursor ids one embedded subsegment lists (its latest-ending precursors).
pub const MAX_PRECURSORS_PER_SUBSEGMENT: usize = 8;

/// The most precursor ids one packed document carries in all its embedded subsegments.
pub const MAX_PRECURSORS_PER_DOCUMENT: usize = 128;

/// An upper bound of the bytes precursor ids add to one packed document: each list costs at most
/// `,"precursor_ids":[]` (19 bytes) and each id at most `"0123456789abcdef",` (19 bytes), and
/// there are never more lists than ids.
pub const MAX_PRECURSOR_BYTES_PER_DOCUMENT: usize = MAX_PRECURSORS_PER_DOCUMENT * (19 + 19);

/// A root document with the documents embedded in it, kept so the tree can be undone when it
/// does not fit.
#[derive(Debug)]
pub struct Packed<'a> {
    /// The root, with its subsegments embedded.
    pub root: Segment<'a>,
    /// How many documents were embedded (0 when nothing was packed).
    pub embedded: usize,
}

impl Packed<'_> {
    /// How many precursor ids the embedded subsegments carry in all.
    pub fn precursor_count(&self) -> usize {
        let mut n = 0;
        for seg in embedded_iter(&self.root) {
            n += seg.precursor_ids.len();
        }
        n
    }

    /// Removes every precursor id from the tree (the embedding stays), for a sender that would
    /// rather keep a tree packed without them than send it flat.
    pub fn clear_precursors(&mut self) {
        for_each_embedded(&mut self.root, &mut |seg| seg.precursor_ids.clear());
    }
}

/// Groups `docs` into trees under their service-local roots. Documents that cannot be placed
/// (their parent is not in the batch, or is not under a segment) stay as they are. Order: the
/// roots and stand-alone documents keep their first-appearance order. Every embedded subsegment
/// gets its `precursor_ids` by the rule of the [module documentation](self); any it had are
/// replaced.
pub fn pack(docs: Vec<Segment<'_>>) -> Vec<Packed<'_>> {
    let index: HashMap<(Option<TraceId>, SegmentId), usize> =
        docs.iter().enumerate().map(|(i, d)| ((d.trace_id, d.id), i)).collect();
    let parent_of: Vec<Option<usize>> = docs
        .iter()
        .map(|d| {
            if !d.is_subsegment() {
                return None;
            }
            d.parent_id.and_then(|p| index.get(&(d.trace_id, p)).copied())
        })
        .collect();
    // A document is packable when following parents leads to a segment (not a subsegment) without
    // a cycle.
    let n = docs.len();
    let mut root_of: Vec<Option<usize>> = vec![None; n];
    for (i, slot) in root_of.iter_mut().enumerate() {
        let mut cur = i;
        let mut steps = 0;
        while let Some(p) = parent_of[cur] {
            cur = p;
            steps += 1;
            if steps > n {
                break;
            }
        }
        if steps <= n && !docs[cur].is_subsegment() {
            *slot = Some(cur);
        }
    }
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); n];
    for i in 0..n {
        if let (Some(p), Some(_)) = (parent_of[i], root_of[i]) {
            children[p].push(i);
        }
    }
    let mut slots: Vec<Option<Segment<'_>>> = docs.into_iter().map(Some).collect();
    let mut out = Vec::new();
    for i in 0..n {
        let embedded_somewhere = parent_of[i].is_some() && root_of[i].is_some();
        if embedded_somewhere {
            continue;
        }
        let mut embedded = 0;
        if let Some(mut root) = build(i, &mut slots, &children, &mut embedded) {
            if embedded > 0 {
                cap_document_precursors(&mut root);
            }
            out.push(Packed { root, embedded });
        }
    }
    out
}

fn build<'a>(
    i: usize,
    slots: &mut [Option<Segment<'a>>],
    children: &[Vec<usize>],
    embedded: &mut usize,
) -> Option<Segment<'a>> {
    let mut seg = slots[i].take()?;
    let mut kids: Vec<Segment<'a>> = Vec::with_capacity(children[i].len());
    for &c in &children[i] {
        if let Some(mut child) = build(c, slots, children, embedded) {
            child.trace_id = None;
            child.parent_id = None;
            child.kind = None;
            *embedded += 1;
            kids.push(child);
        }
    }
    kids.sort_by(|a, b| a.start_time.total_cmp(&b.start_time));
    let lists = sibling_precursors(&kids);
    for (kid, list) in kids.iter_mut().zip(lists) {
        kid.precursor_ids = list;
    }
    seg.subsegments.extend(kids);
    Some(seg)
}

/// For siblings in their final order, each one's precursors (see the module documentation): at
/// most [`MAX_PRECURSORS_PER_SUBSEGMENT`] of the earlier siblings that had ended when it started,
/// the latest-ending ones, in the order they ended.
fn sibling_precursors(kids: &[Segment<'_>]) -> Vec<Vec<SegmentId>> {
    // Siblings that ended, by end time then position: the precursors of a sibling starting at `t`
    // are a prefix of this list (those with `end <= t`), minus the ones that come after it.
    let mut ended: Vec<(f64, usize)> = kids
        .iter()
        .enumerate()
        .filter_map(|(i, k)| k.end_time.filter(|e| e.is_finite()).map(|e| (e, i)))
        .collect();
    ended.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    kids.iter()
        .enumerate()
        .map(|(j, kid)| {
            let start = kid.start_time;
            if !start.is_finite() {
                return Vec::new();
            }
            let done = ended.partition_point(|(e, _)| e.total_cmp(&start) != Ordering::Greater);
            let mut list: Vec<SegmentId> = ended[..done]
                .iter()
                .rev()
                .filter(|(_, i)| *i < j)
                .take(MAX_PRECURSORS_PER_SUBSEGMENT)
                .map(|(_, i)| kids[*i].id)
                .collect();
            list.reverse();
            list
        })
        .collect()
}

/// Applies the per-document bound: when the tree's lists hold more than
/// [`MAX_PRECURSORS_PER_DOCUMENT`] ids, cuts every list to the largest common length that fits,
/// keeping each list's latest-ending precursors.
fn cap_document_precursors(root: &mut Segment<'_>) {
    let lens: Vec<usize> = embedded_iter(root).map(|s| s.precursor_ids.len()).collect();
    let total_at = |k: usize| lens.iter().map(|&n| n.min(k)).sum::<usize>();
    if total_at(usize::MAX) <= MAX_PRECURSORS_PER_DOCUMENT {
        return;
    }
    let k = (0..MAX_PRECURSORS_PER_SUBSEGMENT)
        .rev()
        .find(|&k| total_at(k) <= MAX_PRECURSORS_PER_DOCUMENT)
        .unwrap_or(0);
    for_each_embedded(root, &mut |seg| {
        let n = seg.precursor_ids.len();
        if n > k {
            seg.precursor_ids.drain(..n - k);
        }
    });
}

/// Every subsegment embedded (at any depth) in `root`, not `root` itself.
fn embedded_iter<'s, 'a>(root: &'s Segment<'a>) -> impl Iterator<Item = &'s Segment<'a>> {
    let mut stack: Vec<&'s Segment<'a>> = root.subsegments.iter().collect();
    std::iter::from_fn(move || {
        let seg = stack.pop()?;
        stack.extend(seg.subsegments.iter());
        Some(seg)
    })
}

/// Calls `f` on every subsegment embedded (at any depth) in `root`, not on `root` itself. `f`
/// must not change `subsegments`.
fn for_each_embedded<'a>(root: &mut Segment<'a>, f: &mut dyn FnMut(&mut Segment<'a>)) {
    let mut stack: Vec<&mut Segment<'a>> = root.subsegments.iter_mut().collect();
    while let Some(seg) = stack.pop() {
        f(seg);
        stack.extend(seg.subsegments.iter_mut());
    }
}

/// Undoes [`pack`] for one tree: the root and every embedded document as independent documents
/// again, parents first. The precursor ids [`pack`] gave the embedded documents are removed:
/// independent documents never carry them.
pub fn unpack<'a>(packed: Packed<'a>) -> Vec<Segment<'a>> {
    let mut out = Vec::with_capacity(packed.embedded + 1);
    let mut root = packed.root;
    let trace_id = root.trace_id;
    let kids = std::mem::take(&mut root.subsegments);
    let root_id = root.id;
    out.push(root);
    flatten(kids, root_id, trace_id, &mut out);
    out
}

fn flatten<'a>(kids: Vec<Segment<'a>>, parent: SegmentId, trace_id: Option<TraceId>, out: &mut Vec<Segment<'a>>) {
    for mut kid in kids {
        kid.trace_id = trace_id;
        kid.parent_id = Some(parent);
        kid.kind = Some(otel_xray_model::SegmentType::Subsegment);
        kid.precursor_ids.clear();
        let grandkids = std::mem::take(&mut kid.subsegments);
        let id = kid.id;
        out.push(kid);
        flatten(grandkids, id, trace_id, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use otel_xray_model::SegmentType;

    fn doc(id: u8, parent: Option<u8>, sub: bool, start: f64) -> Segment<'static> {
        let mut s = Segment::new(
            format!("s{id}"),
            SegmentId([0, 0, 0, 0, 0, 0, 0, id]),
            TraceId([1; 16]),
            start,
            start + 1.0,
        );
        s.parent_id = parent.map(|p| SegmentId([0, 0, 0, 0, 0, 0, 0, p]));
        if sub {
            s.kind = Some(SegmentType::Subsegment);
        }
        s
    }

    #[test]
    fn children_of_a_segment_are_embedded_recursively() {
        // root 1 <- 2 <- 3, root 1 <- 4; 5 is an orphan subsegment (parent 9 not in batch).
        let docs = vec![
            doc(3, Some(2), true, 3.0),
            doc(2, Some(1), true, 2.0),
            doc(5, Some(9), true, 0.0),
            doc(4, Some(1), true, 1.0),
            doc(1, None, false, 0.0),
        ];
        let packed = pack(docs);
        assert_eq!(packed.len(), 2);
        assert_eq!(packed[0].root.id.to_string(), "0000000000000005");
        assert_eq!(packed[0].embedded, 0);
        let root = &packed[1].root;
        assert_eq!(packed[1].embedded, 3);
        let names: Vec<_> = root.subsegments.iter().map(|s| s.name.to_string()).collect();
        assert_eq!(names, vec!["s4", "s2"], "ordered by start time");
        assert_eq!(root.subsegments[1].subsegments[0].name, "s3");
        assert!(
            root.subsegments
                .iter()
                .all(|s| s.trace_id.is_none() && s.parent_id.is_none() && s.kind.is_none())
        );
    }

    #[test]
    fn unpack_restores_independent_documents() {
        let docs = vec![
            doc(1, None, false, 0.0),
            doc(2, Some(1), true, 1.0),
            doc(3, Some(2), true, 2.0),
        ];
        let original = docs.clone();
        let packed = pack(docs).into_iter().next().unwrap();
        let mut flat = unpack(packed);
        flat.sort_by_key(|s| s.id);
        assert_eq!(flat, original);
    }

    #[test]
    fn subsegments_under_a_subsegment_root_stay_flat() {
        let docs = vec![doc(2, Some(9), true, 0.0), doc(3, Some(2), true, 1.0)];
        let packed = pack(docs);
        assert_eq!(packed.len(), 2);
        assert!(packed.iter().all(|p| p.embedded == 0));
    }
}
