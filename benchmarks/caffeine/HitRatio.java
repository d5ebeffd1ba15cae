// Hit ratio of Caffeine (Debian's libcaffeine-java) on the traces and sizes hit_ratio.cpp replays,
// as the same CSV rows: trace,size,caffeine,hits,requests,hit_ratio. Each request is getIfPresent,
// then put on a miss; maintenance runs on the calling thread (executor Runnable::run) and cleanUp()
// after each put, so that the size bound holds at every request, as in evbus::cache. Caffeine seeds
// its frequency sketch at random, so each size runs RUNS times (a row each): report their median.
//   java -cp caffeine.jar:. HitRatio RUNS TRACE SIZE[,SIZE...] [TRACE SIZE[,SIZE...]]...
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;

import java.io.BufferedReader;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PushbackInputStream;
import java.util.zip.GZIPInputStream;

public final class HitRatio {
    private static long[] read(String path) throws IOException {
        PushbackInputStream raw = new PushbackInputStream(new FileInputStream(path), 2);
        byte[] magic = new byte[2];
        int n = raw.read(magic);
        if (n > 0) {
            raw.unread(magic, 0, n);
        }
        InputStream in = n == 2 && (magic[0] & 0xff) == 0x1f && (magic[1] & 0xff) == 0x8b ? new GZIPInputStream(raw) : raw;
        long[] keys = new long[1 << 16];
        int count = 0;
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(in))) {
            for (String line; (line = reader.readLine()) != null; ) {
                line = line.trim();
                if (line.isEmpty() || line.startsWith("*")) {
                    continue;
                }
                if (count == keys.length) {
                    keys = java.util.Arrays.copyOf(keys, count * 2);
                }
                keys[count++] = Long.parseUnsignedLong(line);
            }
        }
        return java.util.Arrays.copyOf(keys, count);
    }

    private static String name(String path) {
        String base = path.substring(path.lastIndexOf('/') + 1);
        for (String suffix : new String[] {".gz", ".trace", ".txt"}) {
            if (base.length() > suffix.length() && base.endsWith(suffix)) {
                base = base.substring(0, base.length() - suffix.length());
            }
        }
        return base;
    }

    public static void main(String[] args) throws IOException {
        int runs = Integer.parseInt(args[0]);
        System.out.println("trace,size,policy,hits,requests,hit_ratio");
        for (int arg = 1; arg + 1 < args.length; arg += 2) {
            long[] trace = read(args[arg]);
            for (String size : args[arg + 1].split(",")) {
                long maximum = Long.parseLong(size);
                for (int run = 0; run < runs; ++run) {
                    Cache<Long, Long> cache = Caffeine.newBuilder().maximumSize(maximum).executor(Runnable::run).build();
                    long hits = 0;
                    for (long key : trace) {
                        if (cache.getIfPresent(key) != null) {
                            ++hits;
                        } else {
                            cache.put(key, key);
                            cache.cleanUp();
                        }
                    }
                    System.out.printf("%s,%d,caffeine,%d,%d,%.4f%n", name(args[arg]), maximum, hits, trace.length,
                                      (double) hits / trace.length);
                }
            }
        }
    }
}
