//! Packing: embedding child subsegments into their parent's document, so that a request that made
//! 20 calls costs one document instead of 21.
//!
//! This is not a translation rule (translation.md §2.2 keeps per-span translation flat); it is a
//! step between translation and sending. Only documents of one batch are packed, and only under a
//! service-local root (a document that is a segment, not a subsegment): a child whose parent is in
//! the batch is moved into the parent's `subsegments`, recursively. Embedded subsegments lose
//! `trace_id`, `parent_id` and `type`, which X-Ray takes from their position. A packed tree that
//! would not fit the byte budget is sent flat instead (see [`crate::batch`]).

use std::collections::HashMap;

use otel_xray_model::{Segment, SegmentId, TraceId};

/// A root document with the documents embedded in it, kept so the tree can be undone when it
/// does not fit.
#[derive(Debug)]
pub struct Packed<'a> {
    /// The root, with its subsegments embedded.
    pub root: Segment<'a>,
    /// How many documents were embedded (0 when nothing was packed).
    pub embedded: usize,
}

/// Groups `docs` into trees under their service-local roots. Documents that cannot be placed
/// (their parent is not in the batch, or is not under a segment) stay as they are. Order: the
/// roots and stand-alone documents keep their first-appearance order.
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
        if let Some(root) = build(i, &mut slots, &children, &mut embedded) {
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
    seg.subsegments.extend(kids);
    Some(seg)
}

/// Undoes [`pack`] for one tree: the root and every embedded document as independent documents
/// again, parents first.
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
