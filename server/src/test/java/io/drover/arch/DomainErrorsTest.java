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
                .or().haveSimpleName("RunCompletions")
                .or().haveSimpleName("RunClaims")
                .or().haveSimpleName("ApiKeyAdmin")
                .or().haveSimpleName("Invitations")
                .or().haveSimpleName("Login")
                .or().haveSimpleName("LoginThrottle")
                .or().haveSimpleName("PasswordResets")
                .or().haveSimpleName("Passwords")
                .or().haveSimpleName("ProjectAdmin")
                .or().haveSimpleName("ProjectSettings")
                .should().dependOnClassesThat().areAssignableTo(ApiError.class)
                .check(MAIN);
    }

    /**
     * ApiError stays at the edge: the http package, the route classes, the authenticator, and the
     * classes that read a request body into a spec (they name the offending field in HTTP terms).
     * A class that is none of these and needs to refuse throws an io.drover.errors exception.
     */
    @Test
    void onlyTheHttpEdgeSpeaksApiError() {
        java.util.Set<String> parsing = java.util.Set.of("JobSpec", "RetryPolicy", "ScheduleSpec", "TriggerRequest",
                "StepSpec", "WorkflowSpec", "Graph", "OutboundGuard", "CallerAuthenticator",
                "EventStream"); // the SSE route: it reads its query parameters like the *Routes classes
        noClasses().that().resideOutsideOfPackage("io.drover.http..")
                .and().haveSimpleNameNotEndingWith("Routes")
                .and(com.tngtech.archunit.base.DescribedPredicate.describe("not a request parser",
                        (com.tngtech.archunit.core.domain.JavaClass c) -> !parsing.contains(c.getSimpleName().split("\\$")[0])))
                .should().dependOnClassesThat().areAssignableTo(ApiError.class)
                .check(MAIN);
    }
}
