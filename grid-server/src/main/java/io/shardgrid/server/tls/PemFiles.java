package io.shardgrid.server.tls;

import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.List;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;

/** Reads certificates and private keys from PEM files, with errors that name the file. */
public final class PemFiles {
    private PemFiles() {
    }

    /** Every certificate in {@code pem}, in file order (a chain starts with its leaf). */
    public static List<X509Certificate> certificates(Path pem) {
        try (InputStream in = Files.newInputStream(pem)) {
            List<X509Certificate> certs = CertificateFactory.getInstance("X.509").generateCertificates(in).stream()
                .map(X509Certificate.class::cast).toList();
            if (certs.isEmpty()) {
                throw new IllegalArgumentException(pem + " holds no PEM certificate");
            }
            return certs;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + pem, e);
        } catch (CertificateException e) {
            throw new IllegalArgumentException(pem + " is not a PEM certificate: " + e.getMessage(), e);
        }
    }

    /** The private key in {@code pem}: PKCS#8 ("PRIVATE KEY") or a traditional RSA/EC key pair. */
    public static PrivateKey privateKey(Path pem) {
        try (Reader reader = Files.newBufferedReader(pem); PEMParser parser = new PEMParser(reader)) {
            Object object = parser.readObject();
            JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
            if (object instanceof PEMKeyPair pair) {
                return converter.getKeyPair(pair).getPrivate();
            }
            if (object instanceof PrivateKeyInfo info) {
                return converter.getPrivateKey(info);
            }
            throw new IllegalArgumentException(pem + " holds no unencrypted PEM private key");
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read a private key from " + pem + ": " + e.getMessage(), e);
        }
    }
}
