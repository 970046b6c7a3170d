// Fmt formats instants with java.time.DateTimeFormatter, as Firehose's
// !{timestamp:...} does, for the -java cross-check in javacheck_test.go.
// Each input line is ZONE<TAB>INSTANT<TAB>PATTERN; each output line is
// "OK<TAB>text" or "ERR<TAB>message".
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

public class Fmt {
  public static void main(String[] args) throws Exception {
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    PrintStream out = new PrintStream(System.out, false, StandardCharsets.UTF_8);
    String line;
    while ((line = in.readLine()) != null) {
      String[] f = line.split("\t", 3);
      try {
        DateTimeFormatter df = DateTimeFormatter.ofPattern(f[2], Locale.US);
        out.println("OK\t" + df.format(Instant.parse(f[1]).atZone(ZoneId.of(f[0]))));
      } catch (Exception e) {
        out.println("ERR\t" + e.getMessage());
      }
    }
    out.flush();
  }
}
