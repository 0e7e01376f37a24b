package io.opsflow.testsupport;

import org.camunda.bpm.engine.ProcessEngine;
import org.camunda.bpm.engine.ProcessEngines;
import org.springframework.test.context.TestContext;
import org.springframework.test.context.support.AbstractTestExecutionListener;

/**
 * Several Spring application contexts live in one test JVM (Spring caches them), each with a process engine named
 * "default". Camunda's REST API and webapps look the engine up in the static {@link ProcessEngines} registry, where
 * the last one registered wins. Before each test, this listener makes the engine of the test's own context the
 * registered one, so REST calls reach the engine the test asserts on. (Registered for every Spring test in
 * src/test/resources/META-INF/spring.factories.)
 */
public class CurrentEngineListener extends AbstractTestExecutionListener {

    @Override
    public void beforeTestClass(TestContext testContext) {
        register(testContext);
    }

    @Override
    public void beforeTestMethod(TestContext testContext) {
        register(testContext);
    }

    private static void register(TestContext testContext) {
        if (!testContext.hasApplicationContext()) {
            return;
        }
        testContext.getApplicationContext().getBeanProvider(ProcessEngine.class).ifAvailable(
                ProcessEngines::registerProcessEngine);
    }

    @Override
    public int getOrder() {
        return 5000;
    }
}
