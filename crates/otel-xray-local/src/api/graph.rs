//! Service graphs (`GetServiceGraph`, `GetTraceGraph`): the per-trace nodes and edges of
//! [`crate::store::facts`] merged by node name and type.
//!
//! Counting: each trace a node or edge appears in counts once, as a fault when its `fault` flag
//! is set, else as a throttle when `throttle` is set, else as an error when `error` is set,
//! else as ok. A node's response-time histogram holds its response time per trace, its duration
//! histogram the durations of those traces; an edge's histogram holds its calls' longest
//! response time per trace. Histogram values are rounded to two significant digits. No `client`
//! node is added in front of the root nodes.

use std::collections::HashMap;

use super::model::{Edge, HistogramEntry, Service, Statistics};
use crate::store::{GraphNode, StoredGraph};

/// Rounds to two significant digits (and to microseconds, to drop binary noise).
fn bucket(v: f64) -> f64 {
    if v.is_nan() || v <= 0.0 || !v.is_finite() {
        return 0.0;
    }
    let magnitude = 10f64.powf(v.log10().floor() - 1.0);
    ((v / magnitude).round() * magnitude * 1e6).round() / 1e6
}

#[derive(Default)]
struct Histogram(HashMap<u64, u64>);

impl Histogram {
    fn add(&mut self, v: f64) {
        *self.0.entry(bucket(v).to_bits()).or_default() += 1;
    }

    fn entries(&self) -> Vec<HistogramEntry> {
        let mut out: Vec<HistogramEntry> = self
            .0
            .iter()
            .map(|(bits, count)| HistogramEntry {
                value: f64::from_bits(*bits),
                count: *count,
            })
            .collect();
        out.sort_by(|a, b| a.value.total_cmp(&b.value));
        out
    }
}

fn count(stats: &mut Statistics, error: bool, fault: bool, throttle: bool, response_time: f64) {
    if fault {
        stats.fault_statistics.other_count += 1;
        stats.fault_statistics.total_count += 1;
    } else if throttle {
        stats.error_statistics.throttle_count += 1;
        stats.error_statistics.total_count += 1;
    } else if error {
        stats.error_statistics.other_count += 1;
        stats.error_statistics.total_count += 1;
    } else {
        stats.ok_count += 1;
    }
    stats.total_count += 1;
    stats.total_response_time += response_time;
}

struct NodeAcc {
    name: String,
    node_type: String,
    root: bool,
    start: f64,
    end: f64,
    stats: Statistics,
    durations: Histogram,
    response_times: Histogram,
}

struct EdgeAcc {
    start: f64,
    end: f64,
    stats: Statistics,
    response_times: Histogram,
}

/// Merges trace graphs, one [`add`](Self::add) per trace, into X-Ray's `Services` list.
#[derive(Default)]
pub struct GraphBuilder {
    nodes: Vec<NodeAcc>,
    /// name → type → index into `nodes`.
    node_index: HashMap<String, HashMap<String, usize>>,
    edges: HashMap<(usize, usize), EdgeAcc>,
    local: Vec<usize>,
}

impl GraphBuilder {
    fn node_index(&mut self, node: &GraphNode<'_>) -> usize {
        if let Some(&idx) = self
            .node_index
            .get(node.name.as_ref())
            .and_then(|types| types.get(node.node_type.as_ref()))
        {
            return idx;
        }
        self.nodes.push(NodeAcc {
            name: node.name.to_string(),
            node_type: node.node_type.to_string(),
            root: false,
            start: node.start_time,
            end: node.end_time,
            stats: Statistics::default(),
            durations: Histogram::default(),
            response_times: Histogram::default(),
        });
        let idx = self.nodes.len() - 1;
        self.node_index
            .entry(node.name.to_string())
            .or_default()
            .insert(node.node_type.to_string(), idx);
        idx
    }

    /// Adds one trace's nodes and edges.
    pub fn add(&mut self, trace: &StoredGraph<'_>) {
        self.local.clear();
        for node in &trace.nodes {
            let idx = self.node_index(node);
            let acc = &mut self.nodes[idx];
            acc.root |= node.root;
            acc.start = acc.start.min(node.start_time);
            acc.end = acc.end.max(node.end_time);
            count(
                &mut acc.stats,
                node.error,
                node.fault,
                node.throttle,
                node.response_time,
            );
            acc.durations.add(trace.duration);
            acc.response_times.add(node.response_time);
            self.local.push(idx);
        }
        for edge in &trace.edges {
            let (Some(&source), Some(&destination)) = (self.local.get(edge.source), self.local.get(edge.destination))
            else {
                continue;
            };
            let acc = self.edges.entry((source, destination)).or_insert_with(|| EdgeAcc {
                start: edge.start_time,
                end: edge.end_time,
                stats: Statistics::default(),
                response_times: Histogram::default(),
            });
            acc.start = acc.start.min(edge.start_time);
            acc.end = acc.end.max(edge.end_time);
            count(
                &mut acc.stats,
                edge.error,
                edge.fault,
                edge.throttle,
                edge.response_time,
            );
            acc.response_times.add(edge.response_time);
        }
    }

    /// The merged graph, sorted by name and type.
    pub fn finish(self) -> Vec<Service> {
        let GraphBuilder { nodes, edges, .. } = self;
        // Reference ids follow the sorted order, so they are stable for the same data.
        let mut order: Vec<usize> = (0..nodes.len()).collect();
        order.sort_by(|&a, &b| (&nodes[a].name, &nodes[a].node_type).cmp(&(&nodes[b].name, &nodes[b].node_type)));
        let mut reference = vec![0u32; nodes.len()];
        for (rank, &idx) in order.iter().enumerate() {
            reference[idx] = u32::try_from(rank).unwrap_or(u32::MAX);
        }
        let mut out_edges: Vec<Vec<Edge>> = (0..nodes.len()).map(|_| Vec::new()).collect();
        for ((source, destination), acc) in edges {
            out_edges[source].push(Edge {
                reference_id: reference[destination],
                start_time: acc.start,
                end_time: acc.end,
                summary_statistics: acc.stats,
                response_time_histogram: acc.response_times.entries(),
                aliases: Vec::new(),
            });
        }
        for list in &mut out_edges {
            list.sort_by_key(|e| e.reference_id);
        }
        order
            .into_iter()
            .map(|idx| {
                let node = &nodes[idx];
                Service {
                    reference_id: reference[idx],
                    name: node.name.clone(),
                    names: vec![node.name.clone()],
                    root: node.root,
                    service_type: node.node_type.clone(),
                    state: "active".into(),
                    start_time: node.start,
                    end_time: node.end,
                    edges: std::mem::take(&mut out_edges[idx]),
                    summary_statistics: node.stats.clone(),
                    duration_histogram: node.durations.entries(),
                    response_time_histogram: node.response_times.entries(),
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_keep_two_digits() {
        assert_eq!(bucket(0.0), 0.0);
        assert_eq!(bucket(0.1234), 0.12);
        assert_eq!(bucket(1.0), 1.0);
        assert_eq!(bucket(15.6), 16.0);
    }

    #[test]
    fn statistics_count_the_worst_outcome() {
        let mut s = Statistics::default();
        count(&mut s, true, true, false, 1.0);
        count(&mut s, true, false, true, 1.0);
        count(&mut s, true, false, false, 1.0);
        count(&mut s, false, false, false, 1.0);
        assert_eq!(s.fault_statistics.total_count, 1);
        assert_eq!(s.error_statistics.throttle_count, 1);
        assert_eq!(s.error_statistics.other_count, 1);
        assert_eq!(s.ok_count, 1);
        assert_eq!(s.total_count, 4);
    }
}
