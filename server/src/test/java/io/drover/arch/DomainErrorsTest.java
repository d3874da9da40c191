package io.drover.arch;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import io.drover.http.ApiError;
import org.junit.jupiter.api.Test;

/**
 * Domain refusals are mapped to HTTP in one place (HttpApi, through ApiError.from): the stores
 * and the run, event and workflow state changes throw io.drover.errors exceptions, never ApiError.
 * Request parsing (specs read through http.Input, routes, the authenticator) still speaks HTTP.
 */
class DomainErrorsTest {
    private static final JavaClasses MAIN = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_JARS)
            .importPackages("io.drover");

    @Test
    void storesAndStateChangesDoNotThrowApiError() {
        noClasses().that().haveSimpleNameEndingWith("Store")
                .or().haveSimpleNameEndingWith("Service")
                .or().haveSimpleName("Engine")
                .or().haveSimpleName("RunChanges")
                .or().haveSimpleName("RunReads")
                .or().haveSimpleName("RunTriggers")
                .or().haveSimpleName("Transitions")
                .or().haveSimpleName("StepWaits")
                .or().haveSimpleName("RunEnd")
                .or().haveSimpleName("RetryPlan")
                .or().haveSimpleName("OperatorRetry")
                .or().haveSimpleName("WorkflowRuns")
                .or().haveSimpleName("Projects")
                .should().dependOnClassesThat().areAssignableTo(ApiError.class)
                .check(MAIN);
    }
}
