// A single OpenSearch node for the tests, run in-process from the Maven Central jars
// (no distribution tarball). Subclassing Node lets us hand it plugin classes from the
// classpath; the bootstrap (security manager, JarHell, production checks) is left out on
// purpose: a throwaway loopback node needs none of it.
//
// usage: java -cp <classes>:<lib>/* OpenSearchTestNode HOME HTTP_PORT TRANSPORT_PORT
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.opensearch.common.settings.Settings;
import org.opensearch.env.Environment;
import org.opensearch.node.InternalSettingsPreparer;
import org.opensearch.node.Node;
import org.opensearch.plugins.Plugin;

public final class OpenSearchTestNode {
    private static final class TestNode extends Node {
        TestNode(Environment env, Collection<Class<? extends Plugin>> plugins) {
            super(env, plugins, true);
        }
    }

    // All required: a wrong class name must fail the start, not silently drop HTTP.
    private static final String[] PLUGINS = {
        "org.opensearch.transport.Netty4Plugin",
        "org.opensearch.analysis.common.CommonAnalysisPlugin",
        "org.opensearch.index.reindex.ReindexPlugin",
        "org.opensearch.index.mapper.MapperExtrasPlugin",
    };

    public static void main(String[] args) {
        try {
            Path home = Paths.get(args[0]).toAbsolutePath();
            String http = args[1];
            String transport = args[2];
            for (String d : new String[] {"config", "data", "logs", "plugins", "modules"}) {
                Files.createDirectories(home.resolve(d));
            }
            Settings settings = Settings.builder()
                .put("cluster.name", "aleph-test")
                .put("node.name", "aleph-test-0")
                .put("path.home", home.toString())
                .put("path.data", home.resolve("data").toString())
                .put("path.logs", home.resolve("logs").toString())
                .put("network.host", "127.0.0.1")
                .put("http.port", http)
                .put("transport.port", transport)
                .put("discovery.type", "single-node")
                // CI disks may be nearly full; watermarks would block writes.
                .put("cluster.routing.allocation.disk.threshold_enabled", false)
                .put("cluster.max_shards_per_node", 10000)
                .put("action.auto_create_index", false)
                .build();
            List<Class<? extends Plugin>> plugins = new ArrayList<>();
            for (String name : PLUGINS) {
                plugins.add(Class.forName(name).asSubclass(Plugin.class));
            }
            Environment env = InternalSettingsPreparer.prepareEnvironment(
                settings, Collections.emptyMap(), home.resolve("config"), () -> "aleph-test-0");
            Node node = new TestNode(env, plugins);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    node.close();
                    node.awaitClose(20, TimeUnit.SECONDS);
                } catch (Exception e) {
                    e.printStackTrace();
                }
            }));
            node.start();
            System.out.println("opensearch-test-node: started on 127.0.0.1:" + http);
            Thread.currentThread().join();
        } catch (Throwable t) {
            // Node threads are not daemons: without an explicit exit the JVM would hang.
            t.printStackTrace();
            System.exit(1);
        }
    }
}
