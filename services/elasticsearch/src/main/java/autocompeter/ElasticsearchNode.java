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
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.elasticsearch.common.logging.LogConfigurator;
import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.env.Environment;
import org.elasticsearch.node.AutocompeterNodeFactory;
import org.elasticsearch.node.InternalSettingsPreparer;
import org.elasticsearch.node.Node;
import org.elasticsearch.transport.netty4.Netty4Plugin;

/**
 * Starts a single, real Elasticsearch node in this JVM for the test suite.
 *
 * Usage: java -cp 'target/elasticsearch-test-node-1.0.jar:target/lib/*' autocompeter.ElasticsearchNode
 *        WORKDIR HTTP_PORT [TRANSPORT_PORT]
 *
 * Everything (data, logs, tmp) lives under WORKDIR/elasticsearch/. Plugins come from the
 * classpath: transport-netty4 (HTTP + transport) and AutocompleteAnalysisPlugin. No security
 * (x-pack is not on the classpath): plain HTTP on 127.0.0.1 only. Runs until SIGTERM/SIGINT,
 * then closes cleanly; data survives SIGKILL + restart on the same WORKDIR.
 */
public final class ElasticsearchNode {

    private static final String NODE_NAME = "autocompeter-test-node";

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            s.setReuseAddress(true);
            return s.getLocalPort();
        }
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 2) {
            System.err.println("usage: ElasticsearchNode WORKDIR HTTP_PORT [TRANSPORT_PORT]");
            System.exit(2);
        }
        Path workDir = Paths.get(args[0]).toAbsolutePath().normalize();
        int httpPort = Integer.parseInt(args[1]);
        int transportPort = args.length > 2 ? Integer.parseInt(args[2]) : freePort();

        Path home = workDir.resolve("elasticsearch");
        Path config = home.resolve("config");
        for (Path p : List.of(home, home.resolve("data"), home.resolve("logs"), config)) {
            Files.createDirectories(p);
        }
        // The pid of this JVM, so stop.sh signals the right process.
        Files.write(workDir.resolve("elasticsearch.pid"),
            (ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII));

        Settings settings = Settings.builder()
            .put("cluster.name", "autocompeter-test")
            .put("node.name", NODE_NAME)
            .put("path.home", home.toString())
            .put("path.data", home.resolve("data").toString())
            .put("path.logs", home.resolve("logs").toString())
            .put("network.host", "127.0.0.1")
            .put("http.port", httpPort)
            .put("transport.port", transportPort)
            .put("discovery.type", "single-node")
            // CI disks may be nearly full: never block allocation or go read-only.
            .put("cluster.routing.allocation.disk.threshold_enabled", false)
            // Small heap: the parent breaker uses the heap-usage estimate, not real memory.
            .put("indices.breaker.total.use_real_memory", false)
            // Tests drop their indexes by pattern (alias-*), as they do on OpenSearch.
            .put("action.destructive_requires_name", false)
            .build();

        // Log4j must be configured before the node logs anything: our console-only config
        // (start.sh sends stdout to WORKDIR/elasticsearch.log) goes into the node's config dir.
        try (InputStream in = ElasticsearchNode.class.getResourceAsStream("/autocompeter-log4j2.properties")) {
            if (in == null) {
                throw new IllegalStateException("autocompeter-log4j2.properties missing from the classpath");
            }
            Files.copy(in, config.resolve("log4j2.properties"), StandardCopyOption.REPLACE_EXISTING);
        }
        LogConfigurator.registerErrorListener();
        LogConfigurator.setNodeName(NODE_NAME);
        Environment environment = InternalSettingsPreparer.prepareEnvironment(settings, Map.of(), config, () -> NODE_NAME);
        LogConfigurator.configure(environment, true);

        Node node = AutocompeterNodeFactory.create(environment,
            List.of(Netty4Plugin.class, AutocompleteAnalysisPlugin.class));

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
        }, "elasticsearch-shutdown"));

        node.start();
        System.out.println("AUTOCOMPETER-ELASTICSEARCH-STARTED http=127.0.0.1:" + httpPort
            + " transport=127.0.0.1:" + transportPort);
        System.out.flush();
        closed.await();
    }

    private ElasticsearchNode() {}
}
