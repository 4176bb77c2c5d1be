package org.elasticsearch.plugins;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.elasticsearch.Build;
import org.elasticsearch.action.admin.cluster.node.info.PluginsAndModules;
import org.elasticsearch.common.settings.Settings;

/**
 * A PluginsService whose plugins are classes on the classpath, not bundles under plugins/ or
 * modules/ (Maven Central has no modules directory to give it). Lives in this package because
 * the loaded-plugin record and {@code loadPlugin} are package-private; the same idea as the
 * test framework's mock plugins service, written for this launcher.
 */
public final class AutocompeterClasspathPluginsService extends PluginsService {

    private final List<LoadedPlugin> classpathPlugins;
    private final PluginsAndModules info;

    public AutocompeterClasspathPluginsService(Settings settings, Path configDir,
                                               Collection<Class<? extends Plugin>> pluginClasses) {
        super(settings, configDir, PluginsLoader.createPluginsLoader(Set.of(), Set.of(), Map.of(), false));
        List<LoadedPlugin> loaded = new ArrayList<>();
        List<PluginRuntimeInfo> infos = new ArrayList<>();
        for (Class<? extends Plugin> pluginClass : pluginClasses) {
            PluginDescriptor descriptor = new PluginDescriptor(
                pluginClass.getName(), "classpath plugin", "NA", Build.current().version(),
                Integer.toString(Runtime.version().feature()), pluginClass.getName(), null,
                List.of(), false, false, false, false, PluginDescriptor.DeploymentTarget.ALL);
            Plugin plugin = loadPlugin(pluginClass, settings, configDir);
            loaded.add(new LoadedPlugin(descriptor, plugin, pluginClass.getClassLoader()));
            infos.add(new PluginRuntimeInfo(descriptor));
        }
        this.classpathPlugins = List.copyOf(loaded);
        this.info = new PluginsAndModules(infos, List.of());
    }

    @Override
    protected List<LoadedPlugin> plugins() {
        return classpathPlugins;
    }

    @Override
    public PluginsAndModules info() {
        return info;
    }
}
