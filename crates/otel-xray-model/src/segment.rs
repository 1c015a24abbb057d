//! The segment document and its sub-objects.
//!
//! One struct serves segments, independent subsegments and embedded subsegments; `type` and
//! `parent_id` tell them apart. Strings are `Cow` so the translator can borrow from the span it
//! translates; documents read from the wire own their strings (`Segment<'static>`).

use std::borrow::Cow;

use serde::{Deserialize, Deserializer, Serialize};

use crate::ids::{SegmentId, TraceId};
use crate::preencoded::PreEncoded;
use crate::value::{Annotations, KeyedList, MetaValue, Metadata, serialize_finite};

type Str<'a> = Cow<'a, str>;

fn is_false(b: &bool) -> bool {
    !*b
}

fn serialize_opt_finite<S: serde::Serializer>(v: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(v) => serialize_finite(v, s),
        None => s.serialize_none(),
    }
}

/// `type` of an independent or embedded subsegment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SegmentType {
    /// `"subsegment"`.
    Subsegment,
}

/// A segment document (a segment, or a subsegment when `type` is set).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Segment<'a> {
    /// Logical name of the service or downstream call (≤ 200 characters).
    pub name: Str<'a>,
    /// The segment id (16 hex digits).
    pub id: SegmentId,
    /// The trace id. Embedded subsegments may leave it out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace_id: Option<TraceId>,
    /// Start, epoch seconds.
    #[serde(serialize_with = "serialize_finite")]
    pub start_time: f64,
    /// End, epoch seconds; absent while in progress.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "serialize_opt_finite"
    )]
    pub end_time: Option<f64>,
    /// `true` for an in-progress document without `end_time`.
    #[serde(default, skip_serializing_if = "is_false")]
    pub in_progress: bool,
    /// Parent segment or subsegment id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_id: Option<SegmentId>,
    /// `subsegment` for subsegments.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<SegmentType>,
    /// `aws` or `remote` for downstream calls.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<Str<'a>>,
    /// Type of AWS resource running the application, e.g. `AWS::EC2::Instance`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<Str<'a>>,
    /// Application version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<Service<'a>>,
    /// The user who made the request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<Str<'a>>,
    /// ARN of the resource running the application.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_arn: Option<Str<'a>>,
    /// HTTP request and response.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http: Option<Http<'a>>,
    /// A server error (5xx) occurred.
    #[serde(default)]
    pub fault: bool,
    /// A client error (4xx) occurred.
    #[serde(default)]
    pub error: bool,
    /// The request was throttled (429).
    #[serde(default)]
    pub throttle: bool,
    /// What went wrong.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<Cause<'a>>,
    /// AWS resource data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aws: Option<Aws<'a>>,
    /// SQL query data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sql: Option<Sql<'a>>,
    /// Indexed key/value pairs.
    #[serde(default, skip_serializing_if = "KeyedList::is_empty")]
    pub annotations: Annotations<'a>,
    /// Unindexed data: namespace → key → any JSON.
    #[serde(default, skip_serializing_if = "KeyedList::is_empty")]
    pub metadata: Metadata<'a>,
    /// Span links.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<Link<'a>>,
    /// Embedded subsegments.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub subsegments: Vec<Segment<'a>>,
    /// Ids of sibling subsegments that completed before this one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub precursor_ids: Vec<SegmentId>,
    /// Whether a downstream call is traced (subsegments).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub traced: Option<bool>,
}

impl<'a> Segment<'a> {
    /// A complete document with only the required fields.
    pub fn new(name: impl Into<Str<'a>>, id: SegmentId, trace_id: TraceId, start_time: f64, end_time: f64) -> Self {
        Self {
            name: name.into(),
            id,
            trace_id: Some(trace_id),
            start_time,
            end_time: Some(end_time),
            in_progress: false,
            parent_id: None,
            kind: None,
            namespace: None,
            origin: None,
            service: None,
            user: None,
            resource_arn: None,
            http: None,
            fault: false,
            error: false,
            throttle: false,
            cause: None,
            aws: None,
            sql: None,
            annotations: KeyedList::new(),
            metadata: KeyedList::new(),
            links: Vec::new(),
            subsegments: Vec::new(),
            precursor_ids: Vec::new(),
            traced: None,
        }
    }

    /// Makes `self` equal to `Segment::new(name, id, trace_id, start_time, end_time)` in place,
    /// keeping the capacity of its lists: a caller translating many spans reuses one document
    /// instead of building (and moving, and freeing) a new one per span.
    pub fn reset(
        &mut self,
        name: impl Into<Str<'a>>,
        id: SegmentId,
        trace_id: TraceId,
        start_time: f64,
        end_time: f64,
    ) {
        // Every field named, so that a field added to `Segment` cannot be forgotten here.
        let Segment {
            name: n,
            id: i,
            trace_id: t,
            start_time: s,
            end_time: e,
            in_progress,
            parent_id,
            kind,
            namespace,
            origin,
            service,
            user,
            resource_arn,
            http,
            fault,
            error,
            throttle,
            cause,
            aws,
            sql,
            annotations,
            metadata,
            links,
            subsegments,
            precursor_ids,
            traced,
        } = self;
        *n = name.into();
        *i = id;
        *t = Some(trace_id);
        *s = start_time;
        *e = Some(end_time);
        *in_progress = false;
        *parent_id = None;
        *kind = None;
        *namespace = None;
        *origin = None;
        *service = None;
        *user = None;
        *resource_arn = None;
        *http = None;
        *fault = false;
        *error = false;
        *throttle = false;
        *cause = None;
        *aws = None;
        *sql = None;
        annotations.0.clear();
        metadata.0.clear();
        links.clear();
        subsegments.clear();
        precursor_ids.clear();
        *traced = None;
    }

    /// Whether this document is a subsegment.
    pub fn is_subsegment(&self) -> bool {
        self.kind == Some(SegmentType::Subsegment)
    }
}

/// `service` object.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Service<'a> {
    /// Application version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<Str<'a>>,
    /// Compiler name (read from SDK documents; the translator never writes it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compiler: Option<Str<'a>>,
    /// Compiler version (read from SDK documents; the translator never writes it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compiler_version: Option<Str<'a>>,
}

/// `http` object.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Http<'a> {
    /// The request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<HttpRequest<'a>>,
    /// The response.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response: Option<HttpResponse>,
}

/// `http.request` object.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct HttpRequest<'a> {
    /// Request method.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<Str<'a>>,
    /// Full URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<Str<'a>>,
    /// User agent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<Str<'a>>,
    /// Client IP address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_ip: Option<Str<'a>>,
    /// `client_ip` came from an `X-Forwarded-For` header. Only ever written as `true`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x_forwarded_for: Option<bool>,
    /// The downstream call is traced (subsegments).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub traced: Option<bool>,
}

/// `http.response` object.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct HttpResponse {
    /// Status code.
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "int_or_string")]
    pub status: Option<i64>,
    /// Body length in bytes.
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "int_or_string")]
    pub content_length: Option<i64>,
}

/// Accepts a number or a numeric string (some SDKs write `content_length` as a string).
fn int_or_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum IntOrString {
        Int(i64),
        Float(f64),
        Str(String),
    }
    Ok(match Option::<IntOrString>::deserialize(d)? {
        None => None,
        Some(IntOrString::Int(v)) => Some(v),
        Some(IntOrString::Float(v)) => Some(v as i64),
        Some(IntOrString::Str(s)) => Some(s.trim().parse().map_err(serde::de::Error::custom)?),
    })
}

/// `cause`: an exception id recorded elsewhere in the trace, or the exceptions themselves.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Cause<'a> {
    /// The id of an exception recorded in another segment or subsegment.
    ExceptionId(SegmentId),
    /// The exceptions.
    Details(CauseDetails<'a>),
}

/// The object form of `cause`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct CauseDetails<'a> {
    /// Working directory (read from SDK documents; the translator never writes it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub working_directory: Option<Str<'a>>,
    /// Source paths (read from SDK documents; the translator never writes them).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub paths: Vec<Str<'a>>,
    /// The exceptions, outermost first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exceptions: Vec<Exception<'a>>,
}

/// One exception of a `cause`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Exception<'a> {
    /// Exception id (16 hex digits).
    pub id: SegmentId,
    /// Message; written even when empty.
    #[serde(default)]
    pub message: Str<'a>,
    /// Exception type; written even when empty.
    #[serde(default, rename = "type")]
    pub kind: Str<'a>,
    /// Caused by a downstream call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote: Option<bool>,
    /// Number of stack frames left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub truncated: Option<u32>,
    /// Number of exceptions skipped between this one and its cause.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skipped: Option<u32>,
    /// Id of the exception that caused this one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<SegmentId>,
    /// Stack frames, innermost first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stack: Vec<StackFrame<'a>>,
}

/// One stack frame.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct StackFrame<'a> {
    /// Source file.
    #[serde(default)]
    pub path: Str<'a>,
    /// Line number (0 when unknown).
    #[serde(default)]
    pub line: i64,
    /// Function or method.
    #[serde(default)]
    pub label: Str<'a>,
}

/// `aws` object.
///
/// The platform objects (`ec2` … `xray`) are boxed: only documents read from the wire carry them
/// here (the translator's come encoded once through [`Aws::resource`]), and inline they made every
/// document several hundred bytes larger to build and move.
///
/// `serde` writes the members in this order: the span's keys (`account_id` … `retries`), then
/// those of [`Aws::resource`], then the typed platform keys (`ec2` … `cloudwatch_logs`); the JSON
/// encoder writes the same bytes.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
pub struct Aws<'a> {
    /// Account id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<Str<'a>>,
    /// API operation (subsegments).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operation: Option<Str<'a>>,
    /// Region (subsegments).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<Str<'a>>,
    /// Request id (subsegments).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<Str<'a>>,
    /// SQS queue URL (subsegments).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue_url: Option<Str<'a>>,
    /// DynamoDB table (subsegments).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table_name: Option<Str<'a>>,
    /// DynamoDB tables of a multi-table operation.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub table_names: Vec<Str<'a>>,
    /// Number of retries (read from SDK documents; the translator never writes it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retries: Option<i64>,
    /// The platform keys shared by every document of a resource, encoded once (the translator's
    /// documents). When set, the typed platform fields below are left empty: both would be
    /// written. Never set in documents read from the wire.
    #[serde(skip)]
    pub resource: Option<&'a PreEncoded<AwsResource<'a>>>,
    /// EC2 instance data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ec2: Option<Box<Ec2<'a>>>,
    /// ECS container data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ecs: Option<Box<Ecs<'a>>>,
    /// EKS pod data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eks: Option<Box<Eks<'a>>>,
    /// Elastic Beanstalk environment data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub elastic_beanstalk: Option<Box<ElasticBeanstalk<'a>>>,
    /// The SDK that recorded the data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub xray: Option<Box<XRay<'a>>>,
    /// CloudWatch log groups of the application.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cloudwatch_logs: Vec<LogGroup<'a>>,
}

impl Serialize for Aws<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut m = s.serialize_struct("Aws", 15)?;
        macro_rules! opt {
            ($($field:ident),*) => {$(
                if let Some(v) = &self.$field {
                    m.serialize_field(stringify!($field), v)?;
                }
            )*};
        }
        opt!(account_id, operation, region, request_id, queue_url, table_name);
        if !self.table_names.is_empty() {
            m.serialize_field("table_names", &self.table_names)?;
        }
        opt!(retries);
        if let Some(r) = self.resource {
            r.get().serialize_fields(&mut m)?;
        }
        opt!(ec2, ecs, eks, elastic_beanstalk, xray);
        if !self.cloudwatch_logs.is_empty() {
            m.serialize_field("cloudwatch_logs", &self.cloudwatch_logs)?;
        }
        m.end()
    }
}

/// The platform part of the `aws` object (`ec2`, `ecs`, `eks`, `elastic_beanstalk`, `xray`,
/// `cloudwatch_logs`): what a resource contributes to every document, held encoded once in
/// [`Aws::resource`]. Encoded, it is an object of these keys.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AwsResource<'a> {
    /// EC2 instance data.
    pub ec2: Option<Ec2<'a>>,
    /// ECS container data.
    pub ecs: Option<Ecs<'a>>,
    /// EKS pod data.
    pub eks: Option<Eks<'a>>,
    /// Elastic Beanstalk environment data.
    pub elastic_beanstalk: Option<ElasticBeanstalk<'a>>,
    /// The SDK that recorded the data.
    pub xray: Option<XRay<'a>>,
    /// CloudWatch log groups of the application.
    pub cloudwatch_logs: Vec<LogGroup<'a>>,
}

impl AwsResource<'_> {
    /// Writes the present keys as fields of an enclosing struct (what [`Aws`] does).
    fn serialize_fields<M: serde::ser::SerializeStruct>(&self, m: &mut M) -> Result<(), M::Error> {
        macro_rules! opt {
            ($($field:ident),*) => {$(
                if let Some(v) = &self.$field {
                    m.serialize_field(stringify!($field), v)?;
                }
            )*};
        }
        opt!(ec2, ecs, eks, elastic_beanstalk, xray);
        if !self.cloudwatch_logs.is_empty() {
            m.serialize_field("cloudwatch_logs", &self.cloudwatch_logs)?;
        }
        Ok(())
    }
}

impl Serialize for AwsResource<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut m = s.serialize_struct("AwsResource", 6)?;
        self.serialize_fields(&mut m)?;
        m.end()
    }
}

/// `aws.ec2` object.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Ec2<'a> {
    /// Instance id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_id: Option<Str<'a>>,
    /// Availability zone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub availability_zone: Option<Str<'a>>,
    /// Instance type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_size: Option<Str<'a>>,
    /// AMI id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ami_id: Option<Str<'a>>,
}

/// `aws.ecs` object.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Ecs<'a> {
    /// Container name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container: Option<Str<'a>>,
    /// Container id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container_id: Option<Str<'a>>,
    /// Availability zone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub availability_zone: Option<Str<'a>>,
    /// Container ARN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container_arn: Option<Str<'a>>,
    /// Cluster ARN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_arn: Option<Str<'a>>,
    /// Task ARN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_arn: Option<Str<'a>>,
    /// Task family.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_family: Option<Str<'a>>,
    /// Launch type (`ec2` or `fargate`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub launch_type: Option<Str<'a>>,
}

/// `aws.eks` object.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Eks<'a> {
    /// Cluster name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_name: Option<Str<'a>>,
    /// Pod name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod: Option<Str<'a>>,
    /// Container id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container_id: Option<Str<'a>>,
}

/// `aws.elastic_beanstalk` object.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ElasticBeanstalk<'a> {
    /// Environment name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment_name: Option<Str<'a>>,
    /// Application version label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_label: Option<Str<'a>>,
    /// Deployment id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deployment_id: Option<i64>,
}

/// `aws.xray` object.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct XRay<'a> {
    /// SDK name, e.g. `opentelemetry for python`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sdk: Option<Str<'a>>,
    /// SDK version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sdk_version: Option<Str<'a>>,
    /// Whether auto-instrumentation recorded the data. Always written.
    #[serde(default)]
    pub auto_instrumentation: bool,
}

/// One entry of `aws.cloudwatch_logs`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct LogGroup<'a> {
    /// Log group name. Always written.
    #[serde(default)]
    pub log_group: Str<'a>,
    /// Log group ARN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arn: Option<Str<'a>>,
}

/// `sql` object.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Sql<'a> {
    /// Database URL, without password.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<Str<'a>>,
    /// Connection string, without password.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection_string: Option<Str<'a>>,
    /// The query, with user values removed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sanitized_query: Option<Str<'a>>,
    /// Database engine.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database_type: Option<Str<'a>>,
    /// Database version (read from SDK documents; the translator never writes it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database_version: Option<Str<'a>>,
    /// Driver version (read from SDK documents; the translator never writes it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub driver_version: Option<Str<'a>>,
    /// Database user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<Str<'a>>,
    /// `call` or `statement` (read from SDK documents; the translator never writes it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preparation: Option<Str<'a>>,
}

/// One span link.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Link<'a> {
    /// The linked trace.
    pub trace_id: TraceId,
    /// The linked span.
    pub id: SegmentId,
    /// Link attributes.
    #[serde(default, skip_serializing_if = "KeyedList::is_empty")]
    pub attributes: KeyedList<'a, MetaValue<'a>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A document with every kind of field set, reset in place, is the new document.
    #[test]
    fn reset_leaves_nothing_of_the_previous_document() {
        let text = r#"{"name":"old","id":"70de5b6f19ff9a0a","trace_id":"1-581cf771-a006649127e371903a2de979",
            "start_time":1.0,"in_progress":true,"parent_id":"70de5b6f19ff9a0b","type":"subsegment",
            "namespace":"remote","origin":"AWS::EC2::Instance","service":{"version":"1"},"user":"u",
            "resource_arn":"arn:x","http":{"request":{"method":"GET"},"response":{"status":500}},
            "fault":true,"error":true,"throttle":true,"cause":{"working_directory":"/","exceptions":[]},
            "aws":{"operation":"GetItem","ec2":{"instance_id":"i-1"}},"sql":{"url":"db"},
            "annotations":{"a":1},"metadata":{"default":{"k":"v"}},
            "links":[{"trace_id":"1-581cf771-a006649127e371903a2de979","id":"70de5b6f19ff9a0c","attributes":{}}],
            "subsegments":[{"name":"c","id":"70de5b6f19ff9a0d","start_time":1.0,"end_time":2.0}],
            "precursor_ids":["70de5b6f19ff9a0e"],"traced":true}"#;
        let mut seg: Segment<'static> = serde_json::from_str(text).expect("a full document parses");
        let id: SegmentId = "0123456789abcdef".parse().unwrap();
        let trace: TraceId = "1-5759e988-bd862e3fe1be46a994272793".parse().unwrap();
        seg.reset("new", id, trace, 3.0, 4.0);
        assert_eq!(seg, Segment::new("new", id, trace, 3.0, 4.0));
    }
}
