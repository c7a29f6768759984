"""zonesim's runtime client for Lambda's Python runtimes (python3.9 ... python3.13).

Written for zonesim (standard library only): it speaks the Lambda Runtime API (2018-06-01) at
AWS_LAMBDA_RUNTIME_API, as the runtime interface client of a Lambda Python image does. INIT imports
the handler named by _HANDLER (`module.function`, `package.module.function` or
`folder/module.function`); each event is passed to it with a Lambda context object; its return value
goes back as JSON. What the function prints and logs becomes its log: `print` as written, `logging`
records in Lambda's text format (`[LEVEL]\\t<ISO time>\\t<request id>\\t<message>`), and errors with
Lambda's shapes (`errorMessage`, `errorType`, `requestId`, `stackTrace`).

Run by path (python3 -u bootstrap.py); its own directory is removed from sys.path so that user code
cannot import it by accident.
"""

import datetime
import decimal
import http.client
import importlib
import json
import logging
import os
import sys
import time
import traceback

API_PREFIX = "/2018-06-01/runtime"

# The record separator a multi-line record (a stack trace) is written with, so that it stays one
# line of the log, as Lambda's stdout sink does.
RECORD_NEWLINE = "\r"


def _strip_own_dir():
    own = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != own]


def _write_record(text):
    """One log record on stdout, newlines kept inside it."""
    sys.stdout.write(text.replace("\n", RECORD_NEWLINE) + "\n")
    sys.stdout.flush()


class RuntimeApi:
    """A keep-alive HTTP connection to the environment's Runtime API."""

    def __init__(self, address):
        host, _, port = address.rpartition(":")
        self._host = host or "127.0.0.1"
        self._port = int(port)
        self._conn = None

    def _request(self, method, path, body=None, headers=None):
        for attempt in (0, 1):
            if self._conn is None:
                self._conn = http.client.HTTPConnection(self._host, self._port)
            try:
                self._conn.request(method, API_PREFIX + path, body=body, headers=headers or {})
                response = self._conn.getresponse()
                return response.status, response.getheaders(), response.read()
            except (ConnectionError, http.client.HTTPException):
                # The server closed an idle keep-alive connection: open a new one, once.
                self._conn.close()
                self._conn = None
                if attempt == 1:
                    raise
        raise RuntimeError("unreachable")

    def next(self):
        status, headers, body = self._request("GET", "/invocation/next")
        if status != 200:
            raise RuntimeError("Runtime API next answered %d: %s" % (status, body[:200]))
        return {k.lower(): v for k, v in headers}, body

    def respond(self, request_id, body):
        return self._request("POST", "/invocation/%s/response" % request_id, body, {"Content-Type": "application/json"})

    def error(self, request_id, error, error_type):
        return self._request(
            "POST",
            "/invocation/%s/error" % request_id,
            json.dumps(error).encode("utf-8"),
            {"Content-Type": "application/json", "Lambda-Runtime-Function-Error-Type": error_type},
        )

    def init_error(self, error, error_type):
        return self._request(
            "POST",
            "/init/error",
            json.dumps(error).encode("utf-8"),
            {"Content-Type": "application/json", "Lambda-Runtime-Function-Error-Type": error_type},
        )


class CognitoIdentity:
    def __init__(self, raw):
        raw = raw or {}
        self.cognito_identity_id = raw.get("cognitoIdentityId")
        self.cognito_identity_pool_id = raw.get("cognitoIdentityPoolId")


class Client:
    def __init__(self, raw):
        self.installation_id = raw.get("installation_id")
        self.app_title = raw.get("app_title")
        self.app_version_name = raw.get("app_version_name")
        self.app_version_code = raw.get("app_version_code")
        self.app_package_name = raw.get("app_package_name")


class ClientContext:
    def __init__(self, raw):
        self.client = Client(raw["client"]) if isinstance(raw.get("client"), dict) else None
        self.custom = raw.get("custom")
        self.env = raw.get("env")


class LambdaContext:
    """The context object Lambda passes as the handler's second argument."""

    def __init__(self, request_id, deadline_ms, invoked_function_arn, client_context, identity):
        self.aws_request_id = request_id
        self.invoked_function_arn = invoked_function_arn
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION")
        # A string, as Lambda's runtime reads it from the environment.
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME")
        self.identity = CognitoIdentity(identity)
        self.client_context = ClientContext(client_context) if isinstance(client_context, dict) else None
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self):
        return max(0, int(self._deadline_ms - time.time() * 1000))

    def __repr__(self):
        return (
            "LambdaContext([aws_request_id=%s,log_group_name=%s,log_stream_name=%s,function_name=%s,"
            "memory_limit_in_mb=%s,function_version=%s,invoked_function_arn=%s,client_context=%s,identity=%s])"
            % (
                self.aws_request_id, self.log_group_name, self.log_stream_name, self.function_name,
                self.memory_limit_in_mb, self.function_version, self.invoked_function_arn,
                self.client_context, self.identity,
            )
        )


class Fault(Exception):
    """An error the runtime itself reports, with Lambda's `Runtime.*` type."""

    def __init__(self, error_type, message, trace=None):
        super().__init__(message)
        self.error_type = error_type
        self.message = message
        self.trace = trace or []


_current_request_id = None


# LoggingConfig JSON: AWS_LAMBDA_LOG_FORMAT and AWS_LAMBDA_LOG_LEVEL, as Lambda sets them.
JSON_LOGS = os.environ.get("AWS_LAMBDA_LOG_FORMAT") == "JSON"
LEVELS = {"TRACE": logging.DEBUG, "DEBUG": logging.DEBUG, "INFO": logging.INFO, "WARN": logging.WARNING, "ERROR": logging.ERROR, "FATAL": logging.CRITICAL}


def _iso(created):
    stamp = datetime.datetime.fromtimestamp(created, datetime.timezone.utc)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (stamp.microsecond // 1000)


def _json_line(fields):
    try:
        return json.dumps(fields, default=str)
    except (TypeError, ValueError):
        return json.dumps({k: str(v) for k, v in fields.items()})


class LambdaLogHandler(logging.Handler):
    """Writes records as Lambda does: `[LEVEL]\\t<time>Z\\t<request id>\\t<message>`, or JSON records."""

    def emit(self, record):
        try:
            if JSON_LOGS:
                fields = {"timestamp": _iso(record.created), "level": record.levelname, "message": record.getMessage(), "logger": record.name}
                if _current_request_id:
                    fields["requestId"] = _current_request_id
                if record.exc_info and record.exc_info[1] is not None:
                    exc = record.exc_info[1]
                    fields.update(errorType=type(exc).__name__, errorMessage=str(exc), stackTrace=_stack(exc.__traceback__))
                _write_record(_json_line(fields))
                return
            message = self.format(record)
            _write_record("[%s]\t%s\t%s\t%s" % (record.levelname, _iso(record.created), _current_request_id or "", message))
        except Exception:
            self.handleError(record)


def _setup_logging():
    root = logging.getLogger()
    for h in list(root.handlers):
        root.removeHandler(h)
    handler = LambdaLogHandler()
    handler.setFormatter(logging.Formatter("%(message)s"))
    root.addHandler(handler)
    if JSON_LOGS:
        # JSON: the function's ApplicationLogLevel is the root logger's level.
        root.setLevel(LEVELS.get(os.environ.get("AWS_LAMBDA_LOG_LEVEL", "INFO"), logging.INFO))
    # Text: the root logger keeps Python's default level (WARNING), as on Lambda: logger.info() shows
    # only after the function sets a level.


def _stack(tb):
    return traceback.format_list(traceback.extract_tb(tb))


def _error_of(exc, request_id=None):
    error = {"errorMessage": str(exc), "errorType": type(exc).__name__}
    if request_id is not None:
        error["requestId"] = request_id
    error["stackTrace"] = _stack(exc.__traceback__)
    return error


def _log_error(error_type, message, stack):
    if JSON_LOGS:
        fields = {"timestamp": _iso(time.time()), "level": "ERROR", "message": message, "errorType": error_type, "errorMessage": message, "stackTrace": stack}
        if _current_request_id:
            fields["requestId"] = _current_request_id
        _write_record(_json_line(fields))
        return
    lines = ["[ERROR] %s: %s" % (error_type, message)]
    if stack:
        lines.append("Traceback (most recent call last):")
        lines.extend(s.rstrip("\n") for s in stack)
    _write_record("\n".join(lines))


def _load_handler(handler):
    try:
        module_name, function_name = handler.rsplit(".", 1)
    except ValueError as e:
        raise Fault("Runtime.MalformedHandlerName", "Bad handler '%s': %s" % (handler, e))
    if module_name.split(".")[0] in sys.builtin_module_names:
        raise Fault(
            "Runtime.BuiltInModuleConflict",
            "Cannot use built-in module %s as a handler module" % module_name,
        )
    try:
        module = importlib.import_module(module_name.replace("/", "."))
    except ImportError as e:
        raise Fault("Runtime.ImportModuleError", "Unable to import module '%s': %s" % (module_name, e))
    except SyntaxError as e:
        trace = ['  File "%s" Line %s\n    %s' % (e.filename, e.lineno, (e.text or "").strip())]
        raise Fault("Runtime.UserCodeSyntaxError", "Syntax error in module '%s': %s" % (module_name, e), trace)
    handler_fn = getattr(module, function_name, None)
    if handler_fn is None:
        # Lambda reports a missing handler when an event arrives, not at INIT.
        missing = Fault("Runtime.HandlerNotFound", "Handler '%s' missing on module '%s'" % (function_name, module_name))

        def fault_handler(event, context):
            raise missing

        return fault_handler
    return handler_fn


def _decimal_default(value):
    # Lambda's encoder turns Decimals (boto3's DynamoDB numbers) into numbers.
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError("Object of type %s is not JSON serializable" % type(value).__name__)


def _invoke(api, handler, headers, body):
    global _current_request_id
    request_id = headers.get("lambda-runtime-aws-request-id", "")
    _current_request_id = request_id
    trace_id = headers.get("lambda-runtime-trace-id")
    if trace_id:
        os.environ["_X_AMZN_TRACE_ID"] = trace_id
    else:
        os.environ.pop("_X_AMZN_TRACE_ID", None)
    try:
        client_context = json.loads(headers["lambda-runtime-client-context"]) if headers.get("lambda-runtime-client-context") else None
        identity = json.loads(headers["lambda-runtime-cognito-identity"]) if headers.get("lambda-runtime-cognito-identity") else None
        context = LambdaContext(
            request_id,
            int(headers.get("lambda-runtime-deadline-ms", "0")),
            headers.get("lambda-runtime-invoked-function-arn"),
            client_context,
            identity,
        )
        try:
            event = json.loads(body) if body else None
        except ValueError as e:
            raise Fault("Runtime.UnmarshalError", "Unable to unmarshal input: %s" % e)
        result = handler(event, context)
        try:
            payload = json.dumps(result, default=_decimal_default).encode("utf-8")
        except (TypeError, ValueError) as e:
            raise Fault("Runtime.MarshalError", "Unable to marshal response: %s" % e)
    except Fault as f:
        error = {"errorMessage": f.message, "errorType": f.error_type, "requestId": request_id, "stackTrace": f.trace}
        _log_error(f.error_type, f.message, f.trace)
        api.error(request_id, error, f.error_type)
        return
    except Exception as e:  # noqa: BLE001 - every error of the handler goes back to the caller
        error = _error_of(e, request_id)
        _log_error(error["errorType"], error["errorMessage"], error["stackTrace"])
        api.error(request_id, error, "Unhandled")
        return
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
    status, _, answer = api.respond(request_id, payload)
    if status == 413:
        # Too large for Lambda's 6 MB: the platform already ended the invocation with
        # Function.ResponseSizeTooLarge; say so in the log as Lambda's runtime does.
        _write_record("[ERROR] Response payload size exceeded maximum allowed payload size (6291556 bytes).")


def main():
    _strip_own_dir()
    task_root = os.environ.get("LAMBDA_TASK_ROOT", os.getcwd())
    if task_root not in sys.path:
        sys.path.insert(0, task_root)
    api = RuntimeApi(os.environ["AWS_LAMBDA_RUNTIME_API"])
    _setup_logging()
    handler_name = os.environ.get("_HANDLER", "")
    try:
        handler = _load_handler(handler_name)
    except Fault as f:
        _log_error(f.error_type, f.message, f.trace)
        api.init_error({"errorMessage": f.message, "errorType": f.error_type, "requestId": "", "stackTrace": f.trace}, f.error_type)
        sys.exit(1)
    except Exception as e:  # noqa: BLE001 - an error while importing the module fails INIT with its own type
        error = _error_of(e, "")
        _log_error(error["errorType"], error["errorMessage"], error["stackTrace"])
        api.init_error(error, "Runtime.Unknown")
        sys.exit(1)
    sys.stdout.flush()
    while True:
        headers, body = api.next()
        _invoke(api, handler, headers, body)


if __name__ == "__main__":
    main()
