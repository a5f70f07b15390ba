package famgraph;

import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.connectors.HttpConnector;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;

/**
 * Runs Neo4j Community with Bolt on 127.0.0.1 only, for famgraph's tests and `make neo4j`.
 *
 * <p>Arguments: bolt port, data directory, password for the neo4j user, and optionally the
 * page cache in MiB (256 when not given). Prints one line
 * starting "ready" once Bolt accepts connections; stops cleanly on SIGTERM or SIGINT.
 */
public final class Neo4jLauncher {
  private Neo4jLauncher() {}

  public static void main(String[] args) throws InterruptedException {
    if (args.length != 3 && args.length != 4) {
      System.err.println("usage: Neo4jLauncher BOLT_PORT DATA_DIR PASSWORD [PAGE_CACHE_MIB]");
      System.exit(2);
    }
    int port = Integer.parseInt(args[0]);
    Path home = Path.of(args[1]).toAbsolutePath();
    long pageCacheMib = args.length == 4 ? Long.parseLong(args[3]) : 256L;
    DatabaseManagementService dbms =
        new DatabaseManagementServiceBuilder(home)
            .setConfig(BoltConnector.enabled, true)
            .setConfig(BoltConnector.listen_address, new SocketAddress("127.0.0.1", port))
            .setConfig(HttpConnector.enabled, false)
            .setConfig(GraphDatabaseSettings.auth_enabled, true)
            // Tests and the demo run on shared 2-core machines: the page cache stays small
            // unless the caller asks for more (a bench whose store would not fit in it).
            .setConfig(GraphDatabaseSettings.pagecache_memory, pageCacheMib * 1024 * 1024)
            .build();
    // The first start has the default password, which must change before any other use; a
    // restart on the same data keeps the one set then (Neo4j refuses setting it again).
    try {
      var system = dbms.database(GraphDatabaseSettings.SYSTEM_DATABASE_NAME);
      boolean fresh =
          system.executeTransactionally(
              "SHOW USERS YIELD user, passwordChangeRequired "
                  + "WHERE user = 'neo4j' RETURN passwordChangeRequired",
              java.util.Map.of(),
              result -> result.hasNext() && (Boolean) result.next().get("passwordChangeRequired"));
      if (fresh) {
        system.executeTransactionally(
            "ALTER USER neo4j SET PASSWORD $password CHANGE NOT REQUIRED",
            java.util.Map.of("password", args[2]));
      }
    } catch (RuntimeException e) {
      // Exit rather than leave a server up that the caller will wait on for ever.
      System.out.println("failed: " + e.getMessage());
      dbms.shutdown();
      System.exit(1);
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  dbms.shutdown();
                  stopped.countDown();
                }));
    System.out.println("ready bolt://127.0.0.1:" + port);
    System.out.flush();
    stopped.await();
  }
}
