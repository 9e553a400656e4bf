/*
 * elastic-pack's own launcher (Apache-2.0), not Elasticsearch code.
 */
package elasticpack.esnode;

import org.elasticsearch.common.logging.LogConfigurator;
import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.common.transport.TransportAddress;
import org.elasticsearch.env.Environment;
import org.elasticsearch.http.HttpServerTransport;
import org.elasticsearch.node.ClasspathNode;
import org.elasticsearch.node.InternalSettingsPreparer;
import org.elasticsearch.node.Node;
import org.elasticsearch.plugins.Plugin;
import org.elasticsearch.transport.netty4.Netty4Plugin;
import org.elasticsearch.xpack.esql.core.plugin.EsqlCorePlugin;
import org.elasticsearch.xpack.kql.KqlPlugin;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Starts one Elasticsearch node for tests: HTTP on 127.0.0.1, data in the folder it is given, single-node
 * discovery. Usage: {@code Launcher HOME_DIR PORT_FILE}. When the node serves HTTP it writes its port to
 * PORT_FILE (atomically); it stops when its standard input closes (the parent process ended or closed the
 * pipe) or on SIGTERM, so a crashed test run never leaves a node behind.
 */
public final class Launcher {

    private static final List<Class<? extends Plugin>> PLUGINS = List.of(
        Netty4Plugin.class,
        EsqlCorePlugin.class,
        KqlPlugin.class,
        TrialLicenseEsqlPlugin.class
    );

    private Launcher() {}

    public static void main(String[] args) throws Exception {
        if (args.length != 2) {
            System.err.println("usage: Launcher HOME_DIR PORT_FILE");
            System.exit(2);
        }
        Path home = Path.of(args[0]).toAbsolutePath();
        Path portFile = Path.of(args[1]).toAbsolutePath();
        Files.createDirectories(home.resolve("config"));
        Settings settings = Settings.builder()
            .put("path.home", home.toString())
            .put("path.data", home.resolve("data").toString())
            .put("path.logs", home.resolve("logs").toString())
            .put("cluster.name", "elastic-pack-test")
            .put("node.name", "elastic-pack-test-node")
            .put("discovery.type", "single-node")
            .put("network.host", "127.0.0.1")
            .put("http.port", System.getProperty("esnode.http.port", "0"))
            .put("transport.port", System.getProperty("esnode.transport.port", "0"))
            .put("node.processors", Integer.getInteger("esnode.processors", 2))
            // a test machine's disk may be fuller than a server's: never block writes on free space
            .put("cluster.routing.allocation.disk.threshold_enabled", false)
            .put("indices.breaker.total.use_real_memory", false)
            .put("action.destructive_requires_name", false)
            .put("logger.level", System.getProperty("esnode.log.level", "WARN"))
            .build();

        LogConfigurator.configureWithoutConfig(settings);
        Environment environment = InternalSettingsPreparer.prepareEnvironment(settings, Map.of(), home.resolve("config"), () -> "elastic-pack-test-node");
        Node node = new ClasspathNode(environment, PLUGINS);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> close(node), "esnode-shutdown"));
        node.start();

        TransportAddress http = node.injector().getInstance(HttpServerTransport.class).boundAddress().publishAddress();
        Path tmp = portFile.resolveSibling(portFile.getFileName() + ".tmp");
        Files.writeString(tmp, Integer.toString(http.getPort()), StandardCharsets.US_ASCII);
        Files.move(tmp, portFile, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        System.out.println("elastic-pack test node serving HTTP on " + http);
        System.out.flush();

        // stop when the parent closes our stdin (or dies): read until end of stream
        while (System.in.read() != -1) {
            // ignore anything written to us
        }
        close(node);
        System.exit(0);
    }

    private static synchronized void close(Node node) {
        if (node.isClosed()) {
            return;
        }
        try {
            node.close();
            node.awaitClose(10, TimeUnit.SECONDS);
        } catch (IOException | InterruptedException e) {
            System.err.println("closing the node: " + e);
        }
    }
}
