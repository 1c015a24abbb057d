//! Attribute keys the translator reads (exact and case-sensitive).

#![allow(missing_docs)]

// Application Signals (§16)
pub const AWS_LOCAL_SERVICE: &str = "aws.local.service";
pub const AWS_REMOTE_SERVICE: &str = "aws.remote.service";
pub const AWS_REMOTE_OPERATION: &str = "aws.remote.operation";
pub const REMOTE_TARGET: &str = "remoteTarget";
pub const K8S_REMOTE_NAMESPACE: &str = "K8s.RemoteNamespace";
pub const AWS_SPAN_KIND: &str = "aws.span.kind";
pub const LOCAL_ROOT: &str = "LOCAL_ROOT";

// Naming (§6)
pub const PEER_SERVICE: &str = "peer.service";
pub const AWS_SERVICE: &str = "aws.service";
pub const SERVICE_NAME: &str = "service.name";
pub const RPC_SERVICE: &str = "rpc.service";
pub const RPC_SYSTEM: &str = "rpc.system";
pub const RPC_METHOD: &str = "rpc.method";
pub const AWS_API: &str = "aws-api";

// HTTP (§7)
pub const HTTP_METHOD: &str = "http.method";
pub const HTTP_REQUEST_METHOD: &str = "http.request.method";
pub const HTTP_CLIENT_IP: &str = "http.client_ip";
pub const HTTP_USER_AGENT: &str = "http.user_agent";
pub const USER_AGENT_ORIGINAL: &str = "user_agent.original";
pub const HTTP_STATUS_CODE: &str = "http.status_code";
pub const HTTP_RESPONSE_STATUS_CODE: &str = "http.response.status_code";
pub const HTTP_URL: &str = "http.url";
pub const URL_FULL: &str = "url.full";
pub const HTTP_SCHEME: &str = "http.scheme";
pub const URL_SCHEME: &str = "url.scheme";
pub const HTTP_HOST: &str = "http.host";
pub const HTTP_TARGET: &str = "http.target";
pub const HTTP_SERVER_NAME: &str = "http.server_name";
pub const NET_HOST_PORT: &str = "net.host.port";
pub const HOST_NAME: &str = "host.name";
pub const NET_HOST_NAME: &str = "net.host.name";
pub const NET_PEER_NAME: &str = "net.peer.name";
pub const NET_PEER_PORT: &str = "net.peer.port";
pub const NET_PEER_IP: &str = "net.peer.ip";
pub const NETWORK_PEER_ADDRESS: &str = "network.peer.address";
pub const NETWORK_PEER_PORT: &str = "network.peer.port";
pub const CLIENT_ADDRESS: &str = "client.address";
pub const URL_PATH: &str = "url.path";
pub const URL_QUERY: &str = "url.query";
pub const SERVER_ADDRESS: &str = "server.address";
pub const SERVER_PORT: &str = "server.port";
pub const HTTP_STATUS_TEXT: &str = "http.status_text";
pub const MESSAGE_TYPE: &str = "message.type";
pub const MESSAGING_PAYLOAD_SIZE: &str = "messaging.message_payload_size_bytes";
pub const MESSAGING_BODY_SIZE: &str = "messaging.message.body.size";

// Cause (§8)
pub const EXCEPTION_EVENT: &str = "exception";
pub const HTTP_REQUEST_FAILURE_EVENT: &str = "HTTP request failure";
pub const EXCEPTION_TYPE: &str = "exception.type";
pub const EXCEPTION_MESSAGE: &str = "exception.message";
pub const EXCEPTION_STACKTRACE: &str = "exception.stacktrace";
pub const AWS_HTTP_ERROR_MESSAGE: &str = "aws.http.error_message";
pub const TELEMETRY_SDK_LANGUAGE: &str = "telemetry.sdk.language";

// aws block (§9)
pub const AWS_OPERATION: &str = "aws.operation";
pub const AWS_ACCOUNT_ID: &str = "aws.account_id";
pub const AWS_REGION: &str = "aws.region";
pub const AWS_REQUEST_ID: &str = "aws.request_id";
pub const AWS_REQUEST_ID_2: &str = "aws.requestId";
pub const AWS_QUEUE_URL: &str = "aws.queue_url";
pub const AWS_QUEUE_URL_2: &str = "aws.queue.url";
pub const AWS_TABLE_NAME: &str = "aws.table_name";
pub const AWS_TABLE_NAME_2: &str = "aws.table.name";
pub const MESSAGING_URL: &str = "messaging.url";
pub const AWS_DYNAMODB_TABLE_NAMES: &str = "aws.dynamodb.table_names";

// SQL (§12)
pub const DB_CONNECTION_STRING: &str = "db.connection_string";
pub const DB_NAME: &str = "db.name";
pub const DB_STATEMENT: &str = "db.statement";
pub const DB_SYSTEM: &str = "db.system";
pub const DB_USER: &str = "db.user";
pub const DB_NAMESPACE: &str = "db.namespace";
pub const DB_SYSTEM_NAME: &str = "db.system.name";
pub const DB_QUERY_TEXT: &str = "db.query.text";
pub const USER_NAME: &str = "user.name";

// User, annotations, metadata (§13)
pub const ENDUSER_ID: &str = "enduser.id";
pub const XRAY_ANNOTATIONS: &str = "aws.xray.annotations";
pub const XRAY_METADATA_PREFIX: &str = "aws.xray.metadata.";
pub const RESOURCE_PREFIX: &str = "otel.resource.";
pub const OTEL_EVENTS: &str = "otel.events";

// Differs (b)
pub const MESSAGING_DESTINATION_NAME: &str = "messaging.destination.name";
pub const MESSAGING_SYSTEM: &str = "messaging.system";
