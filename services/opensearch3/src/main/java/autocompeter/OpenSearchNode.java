package autocompeter;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.opensearch.Version;
import org.opensearch.analysis.common.CommonAnalysisModulePlugin;
import org.opensearch.common.logging.LogConfigurator;
import org.opensearch.common.settings.Settings;
import org.opensearch.env.Environment;
import org.opensearch.node.InternalSettingsPreparer;
import org.opensearch.node.Node;
import org.opensearch.plugins.Plugin;
import org.opensearch.plugins.PluginInfo;
import org.opensearch.transport.Netty4ModulePlugin;

/**
 * Starts a single, real OpenSearch 3.x node in this JVM for the test suite: the 2.19 launcher
 * (services/opensearch/) with 3.x's names (Netty4ModulePlugin, CommonAnalysisModulePlugin) and
 * its Node constructor, which takes plugin infos rather than plugin classes. Needs Java 21+.
 *
 * Usage: java -cp 'target/classes:target/lib/*' autocompeter.OpenSearchNode WORKDIR HTTP_PORT [TRANSPORT_PORT]
 *
 * Everything (data, logs, tmp) lives under WORKDIR/opensearch/. Plugins are loaded from the
 * classpath (no plugins/ or modules/ directories): transport-netty4 (HTTP + transport) and
 * analysis-common (edge_ngram, asciifolding, ...). The node runs until SIGTERM/SIGINT, then
 * closes cleanly. Data survives SIGKILL + restart on the same WORKDIR.
 *
 * Env (set by start.sh for NODES=3): OPENSEARCH_NODE_NAME, OPENSEARCH_CLUSTER_NAME,
 * OPENSEARCH_SEED_HOSTS (host:transport_port,...) and OPENSEARCH_INITIAL_MANAGERS (node names);
 * without OPENSEARCH_SEED_HOSTS the node is a single-node cluster.
 */
public final class OpenSearchNode {

    /** Node subclass only to reach the protected constructor taking classpath plugins. */
    static final class ClasspathPluginNode extends Node {
        ClasspathPluginNode(Environment environment, Collection<PluginInfo> classpathPlugins) {
            super(environment, classpathPlugins, true);
        }
    }

    /** What 3.x's plugin service wants to know of a plugin found on the classpath. */
    private static PluginInfo classpathPlugin(Class<? extends Plugin> plugin) {
        return new PluginInfo(plugin.getSimpleName(), "classpath plugin", Version.CURRENT.toString(),
            Version.CURRENT, Runtime.version().feature() + "", plugin.getName(),
            Collections.emptyList(), false);
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            s.setReuseAddress(true);
            return s.getLocalPort();
        }
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 2) {
            System.err.println("usage: OpenSearchNode WORKDIR HTTP_PORT [TRANSPORT_PORT]");
            System.exit(2);
        }
        Path workDir = Paths.get(args[0]).toAbsolutePath().normalize();
        int httpPort = Integer.parseInt(args[1]);
        int transportPort = args.length > 2 ? Integer.parseInt(args[2]) : freePort();

        Path home = workDir.resolve("opensearch");
        Path data = home.resolve("data");
        Path logs = home.resolve("logs");
        Path config = home.resolve("config");
        for (Path p : List.of(home, data, logs, config)) {
            Files.createDirectories(p);
        }

        // The pid of this JVM, so stop.sh kills the right process.
        Files.write(workDir.resolve("opensearch.pid"),
            (ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII));

        // One node of a cluster when start.sh names the seed hosts (NODES=3), else a single node.
        String nodeName = envOr("OPENSEARCH_NODE_NAME", "autocompeter-test-node");
        String seedHosts = envOr("OPENSEARCH_SEED_HOSTS", "");
        Settings.Builder builder = Settings.builder()
            .put("cluster.name", envOr("OPENSEARCH_CLUSTER_NAME", "autocompeter-test"))
            .put("node.name", nodeName)
            .put("path.home", home.toString())
            .put("path.data", data.toString())
            .put("path.logs", logs.toString())
            .put("network.host", "127.0.0.1")
            .put("http.port", httpPort)
            .put("transport.port", transportPort)
            // The disk may be nearly full on CI machines: never block allocation or go read-only.
            .put("cluster.routing.allocation.disk.threshold_enabled", false)
            // Small heap: use the heap-usage estimate, not real memory, for the parent breaker.
            .put("indices.breaker.total.use_real_memory", false)
            .put("action.auto_create_index", true);
        if (seedHosts.isEmpty()) {
            builder.put("discovery.type", "single-node");
        } else {
            builder.putList("discovery.seed_hosts", seedHosts.split(","))
                .putList("cluster.initial_cluster_manager_nodes",
                    envOr("OPENSEARCH_INITIAL_MANAGERS", nodeName).split(","));
        }
        Settings settings = builder.build();

        // Log4j must be configured before OpenSearch logs anything: write our minimal
        // log4j2.properties (console only; start.sh sends stdout to WORKDIR/opensearch.log)
        // into the node's config dir and let OpenSearch's LogConfigurator load it.
        try (InputStream in = OpenSearchNode.class.getResourceAsStream("/autocompeter-log4j2.properties")) {
            if (in == null) {
                throw new IllegalStateException("autocompeter-log4j2.properties missing from the classpath");
            }
            Files.copy(in, config.resolve("log4j2.properties"), StandardCopyOption.REPLACE_EXISTING);
        }
        LogConfigurator.registerErrorListener();
        LogConfigurator.setNodeName(nodeName);

        Environment environment = InternalSettingsPreparer.prepareEnvironment(
            settings, Collections.emptyMap(), config, () -> nodeName);
        LogConfigurator.configure(environment);

        List<PluginInfo> plugins = List.of(
            classpathPlugin(Netty4ModulePlugin.class), classpathPlugin(CommonAnalysisModulePlugin.class));
        Node node = new ClasspathPluginNode(environment, plugins);

        CountDownLatch closed = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                node.close();
                node.awaitClose(10, TimeUnit.SECONDS);
            } catch (Exception e) {
                e.printStackTrace();
            } finally {
                closed.countDown();
            }
        }, "opensearch-shutdown"));

        node.start();
        System.out.println("AUTOCOMPETER-OPENSEARCH-STARTED http=127.0.0.1:" + httpPort
            + " transport=127.0.0.1:" + transportPort);
        System.out.flush();
        closed.await();
    }

    private static String envOr(String name, String fallback) {
        String value = System.getenv(name);
        return value == null || value.isEmpty() ? fallback : value;
    }

    private OpenSearchNode() {}
}
