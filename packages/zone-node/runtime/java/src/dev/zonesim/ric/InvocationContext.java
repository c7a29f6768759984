package dev.zonesim.ric;

import com.amazonaws.services.lambda.runtime.Client;
import com.amazonaws.services.lambda.runtime.ClientContext;
import com.amazonaws.services.lambda.runtime.CognitoIdentity;
import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.LambdaLogger;
import java.util.LinkedHashMap;
import java.util.Map;

/** The {@link Context} of one invocation: the event's headers and the function's environment. */
final class InvocationContext implements Context {

    /** What does not change between invocations: read once from Lambda's environment variables. */
    static final class Function {
        final String name;
        final String version;
        final String logGroup;
        final String logStream;
        final int memoryMb;
        final LambdaLogger logger;

        Function(String name, String version, String logGroup, String logStream, int memoryMb, LambdaLogger logger) {
            this.name = name;
            this.version = version;
            this.logGroup = logGroup;
            this.logStream = logStream;
            this.memoryMb = memoryMb;
            this.logger = logger;
        }
    }

    private final Function fn;
    private final Invocation inv;
    private final CognitoIdentity identity;
    private final ClientContext clientContext;

    InvocationContext(Function fn, Invocation inv, CognitoIdentity identity, ClientContext clientContext) {
        this.fn = fn;
        this.inv = inv;
        this.identity = identity;
        this.clientContext = clientContext;
    }

    @Override
    public String getAwsRequestId() {
        return inv.requestId;
    }

    @Override
    public String getLogGroupName() {
        return fn.logGroup;
    }

    @Override
    public String getLogStreamName() {
        return fn.logStream;
    }

    @Override
    public String getFunctionName() {
        return fn.name;
    }

    @Override
    public String getFunctionVersion() {
        return fn.version;
    }

    @Override
    public String getInvokedFunctionArn() {
        return inv.invokedFunctionArn;
    }

    @Override
    public CognitoIdentity getIdentity() {
        return identity;
    }

    @Override
    public ClientContext getClientContext() {
        return clientContext;
    }

    @Override
    public int getRemainingTimeInMillis() {
        long left = inv.deadlineMs - System.currentTimeMillis();
        return (int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, left));
    }

    @Override
    public int getMemoryLimitInMB() {
        return fn.memoryMb;
    }

    @Override
    public LambdaLogger getLogger() {
        return fn.logger;
    }

    @Override
    public String getXrayTraceId() {
        return inv.traceId;
    }

    // ------------------------------------------------------------------ header JSON

    private static String str(Map<?, ?> m, String key) {
        Object v = m.get(key);
        return v == null ? null : v.toString();
    }

    private static Map<String, String> strings(Object v) {
        if (!(v instanceof Map)) return null;
        Map<String, String> out = new LinkedHashMap<String, String>();
        for (Map.Entry<?, ?> e : ((Map<?, ?>) v).entrySet()) out.put(String.valueOf(e.getKey()), e.getValue() == null ? null : e.getValue().toString());
        return out;
    }

    /** {@code Lambda-Runtime-Cognito-Identity}: {@code {"cognitoIdentityId", "cognitoIdentityPoolId"}}. */
    static CognitoIdentity identity(String json) {
        Object v = Json.parse(json);
        if (!(v instanceof Map)) throw new IllegalArgumentException("not a JSON object");
        final String id = str((Map<?, ?>) v, "cognitoIdentityId");
        final String pool = str((Map<?, ?>) v, "cognitoIdentityPoolId");
        return new CognitoIdentity() {
            @Override
            public String getIdentityId() {
                return id;
            }

            @Override
            public String getIdentityPoolId() {
                return pool;
            }
        };
    }

    /**
     * {@code Lambda-Runtime-Client-Context}: {@code {"client": {"installation_id", "app_title",
     * "app_version_name", "app_version_code", "app_package_name"}, "custom": {...}, "env": {...}}}.
     */
    static ClientContext clientContext(String json) {
        Object v = Json.parse(json);
        if (!(v instanceof Map)) throw new IllegalArgumentException("not a JSON object");
        Map<?, ?> m = (Map<?, ?>) v;
        final Map<String, String> custom = strings(m.get("custom"));
        final Map<String, String> env = strings(m.get("env"));
        final Client client;
        if (m.get("client") instanceof Map) {
            Map<?, ?> c = (Map<?, ?>) m.get("client");
            final String installationId = str(c, "installation_id");
            final String appTitle = str(c, "app_title");
            final String versionName = str(c, "app_version_name");
            final String versionCode = str(c, "app_version_code");
            final String packageName = str(c, "app_package_name");
            client = new Client() {
                @Override
                public String getInstallationId() {
                    return installationId;
                }

                @Override
                public String getAppTitle() {
                    return appTitle;
                }

                @Override
                public String getAppVersionName() {
                    return versionName;
                }

                @Override
                public String getAppVersionCode() {
                    return versionCode;
                }

                @Override
                public String getAppPackageName() {
                    return packageName;
                }
            };
        } else {
            client = null;
        }
        return new ClientContext() {
            @Override
            public Client getClient() {
                return client;
            }

            @Override
            public Map<String, String> getCustom() {
                return custom;
            }

            @Override
            public Map<String, String> getEnvironment() {
                return env;
            }
        };
    }
}
