package io.opsflow.platform.runbook;

import org.camunda.spin.impl.json.jackson.format.JacksonJsonDataFormat;
import org.camunda.spin.spi.DataFormatConfigurator;

import com.fasterxml.jackson.databind.SerializationFeature;

/**
 * Configures Camunda Spin's JSON data format, the one encoding of opsflow's JSON variables ({@link RunVariables}):
 * java.time values as ISO-8601 strings. Registered in {@code META-INF/services}.
 */
public class SpinJsonConfigurator implements DataFormatConfigurator<JacksonJsonDataFormat> {
    @Override
    public Class<JacksonJsonDataFormat> getDataFormatClass() {
        return JacksonJsonDataFormat.class;
    }

    @Override
    public void configure(JacksonJsonDataFormat dataFormat) {
        dataFormat.getObjectMapper().findAndRegisterModules()
                .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS);
    }
}
