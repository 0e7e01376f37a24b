package io.opsflow;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import java.util.Arrays;
import java.util.List;

import org.camunda.bpm.engine.impl.context.Context;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

/**
 * The architecture of docs/ARCHITECTURE.md, as rules the build checks: runbook packages depend on the platform, the
 * step library, the fleet client and the shared database package, never on each other; the shared packages never on
 * a runbook; nothing but the sandbox itself knows the sandbox; runbook code does not reach into the engine's
 * execution context.
 */
@AnalyzeClasses(packages = "io.opsflow", importOptions = ImportOption.DoNotIncludeTests.class)
class PackageBoundariesTest {
    static final List<String> RUNBOOKS = List.of("release", "backup", "migrate", "scale", "restart", "provision",
            "certificates", "logs");
    static final List<String> SHARED = List.of("environments", "platform", "step", "fleet", "database");

    static String pkg(String name) {
        return "io.opsflow." + name + "..";
    }

    @ArchTest
    static void runbookPackagesDoNotDependOnEachOther(JavaClasses classes) {
        for (String runbook : RUNBOOKS) {
            String[] others = RUNBOOKS.stream().filter(r -> !r.equals(runbook)).map(PackageBoundariesTest::pkg)
                    .toArray(String[]::new);
            noClasses().that().resideInAPackage(pkg(runbook))
                    .should().dependOnClassesThat().resideInAnyPackage(others)
                    .orShould().dependOnClassesThat().resideInAnyPackage(pkg("sandbox"), pkg("observe"))
                    .because("a runbook family builds on platform, step, fleet and database only; what two runbooks"
                            + " share moves down (docs/ARCHITECTURE.md)")
                    .check(classes);
        }
    }

    @ArchTest
    static void sharedPackagesDoNotDependOnRunbooks(JavaClasses classes) {
        String[] upper = java.util.stream.Stream.concat(RUNBOOKS.stream(), java.util.stream.Stream.of("sandbox",
                "observe")).map(PackageBoundariesTest::pkg).toArray(String[]::new);
        for (String shared : SHARED) {
            noClasses().that().resideInAPackage(pkg(shared))
                    .should().dependOnClassesThat().resideInAnyPackage(upper)
                    .because(shared + " is below the runbooks").check(classes);
        }
    }

    @ArchTest
    static final ArchRule topLevelPackagesAreFreeOfCycles = slices().matching("io.opsflow.(*)..")
            .should().beFreeOfCycles()
            .because("layers, bottom up: environments (the model) < step < platform, fleet, database < runbooks <"
                    + " observe, sandbox (docs/ARCHITECTURE.md)");

    @ArchTest
    static final ArchRule theEnvironmentModelDependsOnNothingOfOurs = noClasses().that()
            .resideInAPackage(pkg("environments")).should().dependOnClassesThat()
            .resideInAnyPackage(Arrays.stream(new String[] {"step", "platform", "fleet", "database", "sandbox",
                    "observe"}).map(PackageBoundariesTest::pkg).toArray(String[]::new))
            .because("the environment model is the bottom layer the step library and the platform both read");

    @ArchTest
    static final ArchRule onlyTheSandboxKnowsTheSandbox = noClasses().that()
            .resideOutsideOfPackages(pkg("sandbox")).and().resideOutsideOfPackage("io.opsflow")
            .should().dependOnClassesThat().resideInAPackage(pkg("sandbox"))
            .because("sandbox beans exist only in sandbox mode; production code must not need them");

    @ArchTest
    static final ArchRule runbookCodeDoesNotReachIntoTheEngine = noClasses().that()
            .resideInAnyPackage(Arrays.stream(RUNBOOKS.toArray(String[]::new)).map(PackageBoundariesTest::pkg)
                    .toArray(String[]::new))
            .should().callMethod(Context.class, "getBpmnExecutionContext")
            .because("step logs and variables are passed explicitly (issue 11)");
}
