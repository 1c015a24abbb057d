//! Stack traces as the OpenTelemetry SDKs record them in `exception.stacktrace`: the languages of
//! the demo's services (Python for `orders-api` and `dashboard`, Node.js for `order-worker`).

/// `orders-api` (Python Lambda): DynamoDB `PutItem` failed with an internal server error after
/// botocore's retries.
pub const ORDERS_PUT_ITEM: &str = r#"Traceback (most recent call last):
  File "/var/task/opentelemetry/instrumentation/aws_lambda/__init__.py", line 412, in _instrumented_lambda_handler_call
    result = call_wrapped(*args, **kwargs)
  File "/var/task/orders/handler.py", line 58, in handler
    order = create_order(body, customer_id)
  File "/var/task/orders/service.py", line 91, in create_order
    repository.put(order)
  File "/var/task/orders/repository.py", line 37, in put
    self._table.put_item(Item=order.to_item(), ConditionExpression="attribute_not_exists(order_id)")
  File "/var/runtime/boto3/resources/factory.py", line 581, in do_action
    response = action(self, *args, **kwargs)
  File "/var/runtime/boto3/resources/action.py", line 88, in __call__
    response = getattr(parent.meta.client, operation_name)(*args, **params)
  File "/var/runtime/botocore/client.py", line 569, in _api_call
    return self._make_api_call(operation_name, kwargs)
  File "/var/runtime/botocore/client.py", line 1023, in _make_api_call
    raise error_class(parsed_response, operation_name)
botocore.exceptions.ClientError: An error occurred (InternalServerError) when calling the PutItem operation (reached max retries: 2): Internal server error"#;

/// The message of [`ORDERS_PUT_ITEM`].
pub const ORDERS_PUT_ITEM_MESSAGE: &str = "An error occurred (InternalServerError) when calling the PutItem operation (reached max retries: 2): Internal server error";

/// `dashboard` (FastAPI on ECS): PostgreSQL cancelled a slow query at the statement timeout.
pub const DASHBOARD_QUERY_CANCELED: &str = r#"Traceback (most recent call last):
  File "/usr/local/lib/python3.12/site-packages/starlette/middleware/errors.py", line 165, in __call__
    await self.app(scope, receive, _send)
  File "/usr/local/lib/python3.12/site-packages/fastapi/routing.py", line 301, in app
    raw_response = await run_endpoint_function(
  File "/usr/local/lib/python3.12/site-packages/fastapi/routing.py", line 214, in run_endpoint_function
    return await run_in_threadpool(dependant.call, **values)
  File "/app/dashboard/routes.py", line 44, in get_dashboard
    revenue = reports.revenue_by_day(db, tenant_id, days=range_days)
  File "/app/dashboard/reports.py", line 27, in revenue_by_day
    rows = db.execute(REVENUE_BY_DAY, {"tenant_id": tenant_id, "days": days}).fetchall()
  File "/usr/local/lib/python3.12/site-packages/sqlalchemy/orm/session.py", line 2351, in execute
    return self._execute_internal(
  File "/usr/local/lib/python3.12/site-packages/sqlalchemy/engine/default.py", line 924, in do_execute
    cursor.execute(statement, parameters)
psycopg2.errors.QueryCanceled: canceling statement due to statement timeout"#;

/// The message of [`DASHBOARD_QUERY_CANCELED`].
pub const DASHBOARD_QUERY_CANCELED_MESSAGE: &str = "canceling statement due to statement timeout";

/// `order-worker` (Node.js Lambda): the payment provider answered 503 and the handler gave up, so
/// that SQS delivers the message again.
pub const WORKER_PAYMENT_UNAVAILABLE: &str =
    "PaymentUnavailableError: payments.example.com answered 503 Service Unavailable
    at PaymentsClient.charge (/var/task/src/payments.js:61:13)
    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)
    at async chargeOrder (/var/task/src/charge.js:24:20)
    at async processRecord (/var/task/src/handler.js:38:5)
    at async Runtime.handler (/var/task/src/handler.js:17:7)";

/// The exception type of [`WORKER_PAYMENT_UNAVAILABLE`].
pub const WORKER_PAYMENT_UNAVAILABLE_TYPE: &str = "PaymentUnavailableError";
/// The message of [`WORKER_PAYMENT_UNAVAILABLE`].
pub const WORKER_PAYMENT_UNAVAILABLE_MESSAGE: &str = "payments.example.com answered 503 Service Unavailable";
