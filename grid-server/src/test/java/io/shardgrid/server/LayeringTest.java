package io.shardgrid.server;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/** The ports-and-adapters rules (core and the planner free of Ratis and gRPC; only consensus imports Ratis, only transport gRPC), checked on the compiled server classes. */
class LayeringTest {
    private static final JavaClasses SERVER = new ClassFileImporter()
        .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
        .importPackages("io.shardgrid.server");

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
