//! A trace's stored facts as a `GetTraceSummaries` entry.

use std::collections::BTreeMap;

use super::model::{AnnotationValue, Http, ServiceId, TraceSummary, TraceUser, ValueWithServiceIds};
use crate::store::{StoredAnnotation, StoredNode, StoredTrace};

fn service_id(node: &StoredNode) -> ServiceId {
    ServiceId {
        name: node.name.clone(),
        names: vec![node.name.clone()],
        service_type: node.node_type.clone(),
    }
}

fn annotation_value(value: &StoredAnnotation) -> AnnotationValue {
    match value {
        StoredAnnotation::S(s) => AnnotationValue {
            string_value: Some(s.clone()),
            ..AnnotationValue::default()
        },
        StoredAnnotation::N(n) => AnnotationValue {
            number_value: Some(*n),
            ..AnnotationValue::default()
        },
        StoredAnnotation::B(b) => AnnotationValue {
            boolean_value: Some(*b),
            ..AnnotationValue::default()
        },
    }
}

/// The summary of one trace. Annotation values are listed once per distinct value.
pub fn summarize(trace: &StoredTrace) -> TraceSummary {
    let mut annotations: BTreeMap<String, Vec<ValueWithServiceIds>> = BTreeMap::new();
    for (key, value) in &trace.annotations {
        let value = annotation_value(value);
        let values = annotations.entry(key.clone()).or_default();
        if !values.iter().any(|v| v.annotation_value == value) {
            values.push(ValueWithServiceIds {
                annotation_value: value,
                service_ids: Vec::new(),
            });
        }
    }
    TraceSummary {
        id: trace.id.clone(),
        start_time: trace.start_time,
        duration: trace.duration,
        response_time: trace.response_time,
        has_fault: trace.fault,
        has_error: trace.error,
        has_throttle: trace.throttle,
        is_partial: trace.partial,
        http: Http {
            http_url: trace.http.url.clone(),
            http_status: trace.http.status,
            http_method: trace.http.method.clone(),
            user_agent: trace.http.user_agent.clone(),
            client_ip: trace.http.client_ip.clone(),
        },
        annotations,
        users: trace
            .users
            .iter()
            .map(|u| TraceUser {
                user_name: u.clone(),
                service_ids: Vec::new(),
            })
            .collect(),
        service_ids: trace.nodes.iter().map(service_id).collect(),
        entry_point: trace.nodes.iter().find(|n| n.root).map(service_id),
    }
}
