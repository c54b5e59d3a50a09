package jp.tokyo.tdpf.cloud;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;

import org.apache.solr.embedded.JettyConfig;
import org.apache.solr.embedded.JettySolrRunner;

/**
 * One SolrCloud node of the local cloud-mode stack (tools/stack.sh cloud-up): the same Jetty +
 * SolrDispatchFilter wiring as the standalone launcher, with solr.xml's solrcloud section and
 * the ZooKeeper address, so each node is its own JVM and can be stopped and started alone.
 * The collection (CKAN 2.12's schema as a configset) is created over the Collections API by
 * tools/cloud/cloud.sh, as on a production cluster.
 *
 * <p>Usage: {@code java -cp 'lib/*:classes' jp.tokyo.tdpf.cloud.SolrCloudNode --home DIR
 * --port 8990 --zk 127.0.0.1:9983 [--ready-file FILE]}
 */
public final class SolrCloudNode {

  private static final String SOLR_XML =
      """
      <?xml version="1.0" encoding="UTF-8" ?>
      <!-- A SolrCloud node of the local cloud-mode stack (written by SolrCloudNode). -->
      <solr>
        <str name="coreRootDirectory">.</str>
        <metrics enabled="false"/>
        <shardHandlerFactory name="shardHandlerFactory" class="HttpShardHandlerFactory">
          <int name="socketTimeout">60000</int>
          <int name="connTimeout">5000</int>
        </shardHandlerFactory>
        <solrcloud>
          <str name="host">127.0.0.1</str>
          <int name="hostPort">${hostPort}</int>
          <str name="hostContext">solr</str>
          <int name="zkClientTimeout">15000</int>
          <bool name="genericCoreNodeNames">true</bool>
          <int name="leaderVoteWait">10000</int>
          <int name="distribUpdateConnTimeout">5000</int>
          <int name="distribUpdateSoTimeout">60000</int>
        </solrcloud>
      </solr>
      """;

  public static void main(String[] args) throws Exception {
    Path home = null;
    Path readyFile = null;
    int port = 8990;
    String zk = "127.0.0.1:9983";
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--home" -> home = Paths.get(args[++i]).toAbsolutePath();
        case "--port" -> port = Integer.parseInt(args[++i]);
        case "--zk" -> zk = args[++i];
        case "--ready-file" -> readyFile = Paths.get(args[++i]);
        default -> fail("unknown argument: " + args[i]);
      }
    }
    if (home == null) {
      fail("usage: --home DIR [--port N] [--zk HOST:PORT] [--ready-file FILE]");
    }
    Files.createDirectories(home.resolve("logs"));
    Files.writeString(home.resolve("solr.xml"), SOLR_XML, StandardCharsets.UTF_8);
    System.setProperty("solr.log.dir", home.resolve("logs").toString());

    Properties node = new Properties();
    node.setProperty("zkHost", zk);
    node.setProperty("hostPort", Integer.toString(port));
    JettyConfig config =
        JettyConfig.builder()
            .setPort(port)
            .stopAtShutdown(true)
            .withPortRetryTime(2)
            .waitForLoadingCoresToFinish(120_000L)
            .build();
    JettySolrRunner runner = new JettySolrRunner(home.toString(), node, config);
    try {
      runner.start();
    } catch (Exception e) {
      fail("Solr did not start: " + e);
    }
    if (!runner.getCoreContainer().isZooKeeperAware()) {
      runner.stop();
      fail("the node is not in cloud mode");
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  try {
                    runner.stop();
                  } catch (Exception e) {
                    System.err.println("error while stopping Solr: " + e);
                  }
                  stopped.countDown();
                }));
    String base = "http://127.0.0.1:" + runner.getLocalPort() + "/solr";
    if (readyFile != null) {
      Files.writeString(
          readyFile, base + "\n" + ProcessHandle.current().pid() + "\n", StandardCharsets.UTF_8);
    }
    System.out.println("SOLR_CLOUD_NODE_READY " + base + " zk=" + zk);
    System.out.flush();
    stopped.await();
  }

  private static void fail(String message) {
    System.err.println("SOLR_FAILED " + message);
    System.exit(1);
  }
}
