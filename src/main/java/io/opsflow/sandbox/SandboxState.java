package io.opsflow.sandbox;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

/**
 * What the fleet remembers between runs ({@code state.json}): the environments' hosts with their SSH ports and port
 * bases, the load balancer ports, whether the first-start bootstrap happened, and which application instances were
 * running when the fleet was last stopped cleanly (so they are started again).
 */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
public class SandboxState {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    public int version = 1;
    /** Next host index: host n gets port base {@code portRangeStart + n * portsPerHost}. Never reused. */
    public int nextHostIndex;
    public boolean bootstrapped;
    public Map<String, Env> environments = new LinkedHashMap<>();
    /** host name -> "app/instance" running at the last clean stop; absent for a host = no clean stop recorded. */
    public Map<String, List<String>> runningAtStop;

    @JsonIgnoreProperties(ignoreUnknown = true)
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class Env {
        public int lbPort;
        public List<Host> hosts = new ArrayList<>();
    }

    @JsonIgnoreProperties(ignoreUnknown = true)
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class Host {
        public String name;
        public int index;
        public int sshPort;
        public int portBase;

        public Host() {
        }

        Host(String name, int index, int sshPort, int portBase) {
            this.name = name;
            this.index = index;
            this.sshPort = sshPort;
            this.portBase = portBase;
        }
    }

    public static SandboxState load(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            return new SandboxState();
        }
        try {
            return JSON.readValue(file.toFile(), SandboxState.class);
        } catch (IOException e) {
            throw new IOException("cannot read the sandbox state " + file + " (" + e.getMessage()
                    + "); fix or delete it (deleting forgets ports and bootstrap; the host directories stay)", e);
        }
    }

    public void save(Path file) throws IOException {
        SandboxKeys.writeAtomically(file, JSON.writeValueAsString(this));
    }
}
