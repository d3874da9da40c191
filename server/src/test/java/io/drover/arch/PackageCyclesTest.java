package io.drover.arch;

import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/**
 * Arrows one way: no package cycle among the server's capability packages (issue 14 item 4). The
 * root package {@code io.drover} (DroverServer, the wiring) is outside the slices; it may depend on
 * everything. When this fails, move the shared piece down (access, store, http) or give the lower
 * package a hook interface that the upper one implements, wired in DroverServer; do not weaken it.
 */
class PackageCyclesTest {
    private static final JavaClasses MAIN = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_JARS)
            .importPackages("io.drover");

    @Test
    void capabilityPackagesAreFreeOfCycles() {
        slices().matching("io.drover.(*)..").should().beFreeOfCycles().check(MAIN);
    }
}
