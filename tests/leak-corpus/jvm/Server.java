// HTTP/1.1 request handler for the leak corpus (com.sun.net.httpserver).
//
//   java -Xmx512m -XX:+ExitOnOutOfMemoryError Server PORT MODE BYTES [CACHE_ENTRIES]
//
// Every request builds a record of BYTES bytes (a request log entry) and
// answers with its checksum. MODE: leak (appended to a global request log that
// is never trimmed), clean (dropped after the response), cache (an LRU cache
// of CACHE_ENTRIES keyed by path: fills, then plateaus).
import com.sun.net.httpserver.HttpServer;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;

public class Server {
  public static void main(String[] args) throws Exception {
    int port = Integer.parseInt(args[0]);
    String mode = args[1];
    int size = Integer.parseInt(args[2]);
    int maxEntries = args.length > 3 ? Integer.parseInt(args[3]) : 0;
    List<byte[]> requestLog = new ArrayList<>();  // leak: grows forever
    Map<String, byte[]> cache = new LinkedHashMap<>(16, 0.75f, true) {
      @Override protected boolean removeEldestEntry(Map.Entry<String, byte[]> e) {
        return size() > maxEntries;
      }
    };
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 64);
    server.createContext("/", ex -> {
      String head = Instant.now() + " " + ex.getRequestMethod() + " " + ex.getRequestURI() + " "
          + ex.getRequestHeaders().getFirst("User-Agent") + "\n";
      byte[] h = head.getBytes(StandardCharsets.UTF_8);
      byte[] record = new byte[size];
      for (int i = 0; i < size; i += h.length) System.arraycopy(h, 0, record, i, Math.min(h.length, size - i));
      synchronized (requestLog) {
        if (mode.equals("leak")) requestLog.add(record);
        else if (mode.equals("cache")) cache.put(ex.getRequestURI().getPath(), record);
      }
      CRC32 crc = new CRC32();
      crc.update(record);
      byte[] out = ("ok " + crc.getValue() + "\n").getBytes(StandardCharsets.UTF_8);
      ex.getResponseHeaders().set("Content-Type", "text/plain");
      ex.sendResponseHeaders(200, out.length);
      try (OutputStream os = ex.getResponseBody()) { os.write(out); }
    });
    server.start();
  }
}
