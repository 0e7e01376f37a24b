package io.opsflow.certificates;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.X509TrustManager;

/**
 * Reads the certificate chain an endpoint serves from a real TLS handshake (not from files: what clients get), then
 * validates it separately (PKIX against the given roots, revocation not checked) so that a broken chain is reported,
 * not refused before it could be read.
 */
final class TlsProbe {
    private TlsProbe() {
    }

    /** The chain served at host:port for SNI {@code serverName}, leaf first. */
    static List<X509Certificate> servedChain(String host, int port, String serverName, Duration timeout)
            throws IOException {
        Recording recording = new Recording();
        try {
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, new X509TrustManager[] {recording}, null);
            try (SSLSocket socket = (SSLSocket) ctx.getSocketFactory().createSocket()) {
                socket.connect(new InetSocketAddress(host, port), (int) timeout.toMillis());
                socket.setSoTimeout((int) timeout.toMillis());
                SSLParameters params = socket.getSSLParameters();
                params.setServerNames(List.of(new SNIHostName(serverName)));
                socket.setSSLParameters(params);
                socket.startHandshake();
            }
        } catch (GeneralSecurityException e) {
            throw new IOException("TLS handshake with " + host + ":" + port + " failed: " + e.getMessage(), e);
        }
        if (recording.chain == null || recording.chain.length == 0) {
            throw new IOException(host + ":" + port + " presented no certificate");
        }
        return List.of(recording.chain);
    }

    /** Null when the chain leads to one of the roots in {@code trustBundle} (PEM); otherwise why not. */
    static String chainProblem(List<X509Certificate> chain, Path trustBundle) {
        try {
            Set<TrustAnchor> anchors = new HashSet<>();
            for (X509Certificate root : readPem(trustBundle)) {
                anchors.add(new TrustAnchor(root, null));
            }
            if (anchors.isEmpty()) {
                return "the trust bundle " + trustBundle + " holds no certificate";
            }
            List<X509Certificate> path = new ArrayList<>(chain);
            path.removeIf(c -> anchors.stream().anyMatch(a -> a.getTrustedCert().equals(c)));
            PKIXParameters params = new PKIXParameters(anchors);
            params.setRevocationEnabled(false);
            CertificateFactory cf = CertificateFactory.getInstance("X.509");
            CertPathValidator.getInstance("PKIX").validate(cf.generateCertPath(path), params);
            return null;
        } catch (IOException | GeneralSecurityException e) {
            return "the served chain does not lead to a root in " + trustBundle + ": " + e.getMessage();
        }
    }

    static List<X509Certificate> readPem(Path file) throws IOException, GeneralSecurityException {
        CertificateFactory cf = CertificateFactory.getInstance("X.509");
        try (InputStream in = Files.newInputStream(file)) {
            return cf.generateCertificates(in).stream().map(c -> (X509Certificate) c).toList();
        }
    }

    /** Subject alternative DNS names of a certificate. */
    static List<String> dnsNames(X509Certificate cert) {
        List<String> names = new ArrayList<>();
        try {
            if (cert.getSubjectAlternativeNames() != null) {
                for (List<?> san : cert.getSubjectAlternativeNames()) {
                    if (Integer.valueOf(2).equals(san.get(0))) {
                        names.add(String.valueOf(san.get(1)));
                    }
                }
            }
        } catch (java.security.cert.CertificateParsingException e) {
            throw new IllegalStateException("unreadable subject alternative names: " + e.getMessage(), e);
        }
        return names;
    }

    /** Accepts any chain, keeping it: validation happens in {@link #chainProblem}. */
    private static final class Recording implements X509TrustManager {
        private X509Certificate[] chain;

        @Override
        public void checkClientTrusted(X509Certificate[] c, String authType) {
            throw new UnsupportedOperationException("client side only");
        }

        @Override
        public void checkServerTrusted(X509Certificate[] c, String authType) {
            this.chain = Arrays.copyOf(c, c.length);
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }
}
