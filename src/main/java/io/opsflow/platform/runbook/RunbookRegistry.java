package io.opsflow.platform.runbook;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;

import org.springframework.stereotype.Component;

/** All {@link RunbookDefinition} beans by process key. */
@Component
public class RunbookRegistry {
    private final Map<String, RunbookDefinition> byKey;

    public RunbookRegistry(List<RunbookDefinition> definitions) {
        this.byKey = definitions.stream().collect(Collectors.toMap(RunbookDefinition::processKey,
                Function.identity()));
    }

    public Optional<RunbookDefinition> find(String processKey) {
        return Optional.ofNullable(byKey.get(processKey));
    }

    public Collection<RunbookDefinition> all() {
        return byKey.values();
    }
}
