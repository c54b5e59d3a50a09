package jp.tokyo.tdpf.solr;

import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Stream;

import org.apache.solr.core.CoreContainer;
import org.apache.solr.embedded.JettyConfig;
import org.apache.solr.embedded.JettySolrRunner;

/**
 * Serves CKAN's Solr cores from one JVM: Jetty + SolrDispatchFilter, the same wiring as Solr's
 * web.xml. It reports ready only after every core loaded, answers ping and carries the CKAN
 * schema, so callers never talk to a half-started search index.
 *
 * <p>Usage: {@code java -jar ckan-solr-launcher.jar --home DIR --schema schema.xml
 * [--port 8983] [--cores ckan,ckan_test] [--fresh] [--ready-file FILE]}
 */
public final class CkanSolrLauncher {

  private static final String[] CONF_FILES = {"solrconfig.xml", "synonyms.txt", "protwords.txt"};

  public static void main(String[] args) throws Exception {
    Options options = Options.parse(args);
    Path home = options.home.toAbsolutePath();
    if (options.fresh) {
      deleteTree(home);
    }
    prepareHome(home, options);

    System.setProperty("solr.log.dir", home.resolve("logs").toString());
    JettyConfig config =
        JettyConfig.builder()
            .setPort(options.port)
            .stopAtShutdown(true)
            .withPortRetryTime(2)
            .waitForLoadingCoresToFinish(120_000L)
            .build();
    JettySolrRunner runner = new JettySolrRunner(home.toString(), new Properties(), config);
    try {
      runner.start();
    } catch (Exception e) {
      fail("Solr did not start: " + e);
    }

    CoreContainer container = runner.getCoreContainer();
    Map<String, CoreContainer.CoreLoadFailure> failures = container.getCoreInitFailures();
    if (!failures.isEmpty()) {
      failures.forEach(
          (core, failure) -> System.err.println("core " + core + " failed: " + failure.exception));
      runner.stop();
      fail("Solr cores failed to load");
    }
    String base = "http://127.0.0.1:" + runner.getLocalPort() + "/solr";
    for (String core : options.cores) {
      if (!container.getLoadedCoreNames().contains(core)) {
        runner.stop();
        fail("core " + core + " is not loaded");
      }
      String ping = httpGet(base + "/" + core + "/admin/ping?wt=json");
      String schemaName = httpGet(base + "/" + core + "/schema/name?wt=json");
      if (!ping.contains("\"status\":\"OK\"") || !schemaName.contains("\"ckan-")) {
        runner.stop();
        fail("core " + core + " is not ready: ping=" + ping + " schema=" + schemaName);
      }
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

    if (options.readyFile != null) {
      Files.writeString(
          options.readyFile,
          base + "\n" + ProcessHandle.current().pid() + "\n",
          StandardCharsets.UTF_8);
    }
    System.out.println("SOLR_READY " + base + " cores=" + String.join(",", options.cores));
    System.out.flush();
    stopped.await();
  }

  /** Lays out solr.xml, the shared "ckan" configset and one folder per core. */
  private static void prepareHome(Path home, Options options) throws IOException {
    Path conf = home.resolve("configsets/ckan/conf");
    Files.createDirectories(conf);
    Files.createDirectories(home.resolve("logs"));
    copyResource("solr.xml", home.resolve("solr.xml"));
    for (String name : CONF_FILES) {
      copyResource("conf/" + name, conf.resolve(name));
    }
    Files.copy(options.schema, conf.resolve("schema.xml"), StandardCopyOption.REPLACE_EXISTING);
    for (String core : options.cores) {
      Path coreDir = home.resolve(core);
      Files.createDirectories(coreDir);
      Path props = coreDir.resolve("core.properties");
      if (!Files.exists(props)) {
        Files.writeString(props, "name=" + core + "\nconfigSet=ckan\n", StandardCharsets.UTF_8);
      }
    }
  }

  private static void copyResource(String name, Path target) throws IOException {
    try (InputStream in = CkanSolrLauncher.class.getResourceAsStream("/solr-home/" + name)) {
      if (in == null) {
        throw new IOException("resource missing from the launcher jar: " + name);
      }
      Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
    }
  }

  private static String httpGet(String url) {
    try {
      HttpURLConnection connection = (HttpURLConnection) new URL(url).openConnection();
      connection.setConnectTimeout(5_000);
      connection.setReadTimeout(30_000);
      try (InputStream in = connection.getInputStream()) {
        return new String(in.readAllBytes(), StandardCharsets.UTF_8).replace(" ", "");
      }
    } catch (IOException e) {
      return "error: " + e;
    }
  }

  private static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(root)) {
      for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(path);
      }
    }
  }

  private static void fail(String message) {
    System.err.println("SOLR_FAILED " + message);
    System.exit(1);
  }

  private static final class Options {
    Path home;
    Path schema;
    Path readyFile;
    int port = 8983;
    boolean fresh;
    List<String> cores = new ArrayList<>(List.of("ckan"));

    static Options parse(String[] args) {
      Options options = new Options();
      for (int i = 0; i < args.length; i++) {
        String arg = args[i];
        switch (arg) {
          case "--fresh" -> options.fresh = true;
          case "--home" -> options.home = Paths.get(value(args, ++i, arg));
          case "--schema" -> options.schema = Paths.get(value(args, ++i, arg));
          case "--ready-file" -> options.readyFile = Paths.get(value(args, ++i, arg));
          case "--port" -> options.port = Integer.parseInt(value(args, ++i, arg));
          case "--cores" -> options.cores = List.of(value(args, ++i, arg).split(","));
          default -> fail("unknown argument: " + arg);
        }
      }
      if (options.home == null || options.schema == null) {
        fail("usage: --home DIR --schema schema.xml [--port N] [--cores a,b] [--fresh]"
            + " [--ready-file FILE]");
      }
      if (!Files.isRegularFile(options.schema)) {
        fail("schema not found: " + options.schema);
      }
      return options;
    }

    private static String value(String[] args, int index, String name) {
      if (index >= args.length) {
        fail(name + " needs a value");
      }
      return args[index];
    }
  }
}
