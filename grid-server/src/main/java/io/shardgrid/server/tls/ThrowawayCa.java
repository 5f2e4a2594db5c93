package io.shardgrid.server.tls;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A certificate authority made on the spot, for a local cluster with TLS and for tests: EC P-256
 * keys, a self-signed CA, and certificates it signs for nodes and clients (usable as both TLS
 * server and client, valid for the names and IP addresses given). Not for production: the CA's
 * key lives only as long as this object, and nothing can revoke what it signed.
 */
public final class ThrowawayCa {
    private static final SecureRandom RANDOM = new SecureRandom();
    private final KeyPair caKeys;
    private final X509Certificate caCertificate;
    private final Duration validity;

    public ThrowawayCa(String name, Duration validity) {
        this.validity = validity;
        this.caKeys = newKeyPair();
        try {
            X500Name subject = new X500Name("CN=" + name);
            X509v3CertificateBuilder builder = builder(subject, subject, caKeys, validity)
                .addExtension(Extension.basicConstraints, true, new BasicConstraints(0))
                .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
                .addExtension(Extension.subjectKeyIdentifier, false,
                    new JcaX509ExtensionUtils().createSubjectKeyIdentifier(caKeys.getPublic()));
            this.caCertificate = sign(builder);
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException("cannot make a CA certificate", e);
        }
    }

    /** The CA certificate as PEM, for {@code --tls-ca} and clients' trust. */
    public void writeCa(Path file) {
        write(file, pem(caCertificate));
    }

    /**
     * Issues a certificate for {@code commonName}, valid for each of {@code names} (IP literals become
     * IP addresses, the rest DNS names), and writes it and its PKCS#8 key (owner-only) as PEM.
     */
    public void issue(String commonName, List<String> names, Path certificateFile, Path keyFile) {
        KeyPair keys = newKeyPair();
        try {
            List<GeneralName> alternatives = new ArrayList<>();
            for (String n : names) {
                alternatives.add(n.matches("[0-9.]+|.*:.*") ? new GeneralName(GeneralName.iPAddress, n)
                    : new GeneralName(GeneralName.dNSName, n));
            }
            JcaX509ExtensionUtils utils = new JcaX509ExtensionUtils();
            X509v3CertificateBuilder builder = builder(new X500Name("CN=" + commonName),
                    new X500Name(caCertificate.getSubjectX500Principal().getName()), keys, validity)
                .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
                .addExtension(Extension.keyUsage, true,
                    new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment))
                .addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(
                    new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}))
                .addExtension(Extension.subjectAlternativeName, false,
                    new GeneralNames(alternatives.toArray(GeneralName[]::new)))
                .addExtension(Extension.authorityKeyIdentifier, false,
                    utils.createAuthorityKeyIdentifier(caCertificate));
            write(certificateFile, pem(sign(builder)));
            // PKCS#8 ("PRIVATE KEY"), which every reader takes: gRPC's Netty, curl, the JDK.
            write(keyFile, pem(new JcaPKCS8Generator(keys.getPrivate(), null).generate()));
            Files.setPosixFilePermissions(keyFile, PosixFilePermissions.fromString("rw-------"));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + certificateFile + " or " + keyFile, e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot issue a certificate for " + commonName, e);
        }
    }

    private static X509v3CertificateBuilder builder(X500Name subject, X500Name issuer, KeyPair subjectKeys,
                                                    Duration validity) {
        Instant now = Instant.now();
        return new JcaX509v3CertificateBuilder(issuer, new BigInteger(64, RANDOM).abs().add(BigInteger.ONE),
            Date.from(now.minus(Duration.ofHours(1))), Date.from(now.plus(validity)), subject, subjectKeys.getPublic());
    }

    private X509Certificate sign(X509v3CertificateBuilder builder) throws GeneralSecurityException {
        try {
            return new JcaX509CertificateConverter().getCertificate(
                builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(caKeys.getPrivate())));
        } catch (OperatorCreationException e) {
            throw new GeneralSecurityException(e);
        }
    }

    private static KeyPair newKeyPair() {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
            return generator.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("no EC key generator", e);
        }
    }

    private static String pem(Object object) {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
            writer.writeObject(object);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString();
    }

    private static void write(Path file, String text) {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            Files.writeString(file, text);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }
}
