package io.shardgrid.server;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import org.junit.jupiter.api.Test;

/**
 * The ports-and-adapters rules, checked on the compiled server classes: core and the planner free
 * of Ratis and gRPC; only consensus imports Ratis, only transport gRPC; transport reaches consensus
 * only through core.ports. docs/ARCHITECTURE.md explains the layers.
 */
class LayeringTest {
    private static final JavaClasses SERVER = new ClassFileImporter()
        .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
        .importPackages("io.shardgrid.server");

    /** The APIs (gRPC, HTTP, metrics) see the Ratis node and membership only through core.ports interfaces. */
    private static final ArchRule TRANSPORT_IMPORTS_NO_CONSENSUS = noClasses()
        .that().resideInAPackage("io.shardgrid.server.transport..")
        .should().dependOnClassesThat().resideInAPackage("io.shardgrid.server.consensus..");

    @Test
    void transportImportsNoConsensusClass() {
        TRANSPORT_IMPORTS_NO_CONSENSUS.check(SERVER);
    }

    @Test
    void theTransportRuleRejectsATransportClassThatImportsConsensus() {
        JavaClasses violating = new ClassFileImporter().importClasses(
            io.shardgrid.server.transport.TransportReachingIntoConsensus.class);
        assertThatThrownBy(() -> TRANSPORT_IMPORTS_NO_CONSENSUS.check(violating))
            .isInstanceOf(AssertionError.class)
            .hasMessageContaining("TransportReachingIntoConsensus")
            .hasMessageContaining("Membership");
    }

    @Test
    void coreImportsNeitherRatisNorGrpc() {
        noClasses().that().resideInAPackage("io.shardgrid.server.core..")
            .should().dependOnClassesThat().resideInAnyPackage("org.apache.ratis..", "io.grpc..")
            .allowEmptyShould(true)
            .check(SERVER);
    }

    @Test
    void onlyConsensusImportsRatis() {
        noClasses().that().resideOutsideOfPackage("io.shardgrid.server.consensus..")
            .should().dependOnClassesThat().resideInAPackage("org.apache.ratis..")
            .allowEmptyShould(true)
            .check(SERVER);
    }

    @Test
    void onlyTransportImportsGrpc() {
        noClasses().that().resideOutsideOfPackage("io.shardgrid.server.transport..")
            .should().dependOnClassesThat().resideInAPackage("io.grpc..")
            .allowEmptyShould(true)
            .check(SERVER);
    }

    @Test
    void storeAndPlannerStayFreeOfRatisAndGrpc() {
        noClasses().that().resideInAnyPackage("io.shardgrid.server.store..", "io.shardgrid.server.placement.plan..")
            .should().dependOnClassesThat().resideInAnyPackage("org.apache.ratis..", "io.grpc..")
            .allowEmptyShould(true)
            .check(SERVER);
    }

    @Test
    void coreDependsOnNoAdapter() {
        noClasses().that().resideInAPackage("io.shardgrid.server.core..")
            .should().dependOnClassesThat().resideInAnyPackage(
                "io.shardgrid.server.store..", "io.shardgrid.server.consensus..", "io.shardgrid.server.transport..")
            .allowEmptyShould(true)
            .check(SERVER);
    }
}
