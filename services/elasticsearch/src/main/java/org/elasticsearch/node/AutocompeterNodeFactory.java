package org.elasticsearch.node;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.elasticsearch.env.Environment;
import org.elasticsearch.plugins.AutocompeterClasspathPluginsService;
import org.elasticsearch.plugins.Plugin;
import org.elasticsearch.plugins.PluginsLoader;
import org.elasticsearch.plugins.PluginsService;

/**
 * Builds a Node whose plugins come from the classpath, the way the test framework's MockNode
 * does: a NodeServiceProvider that swaps in our PluginsService. Both hooks are package-private,
 * hence this package.
 */
public final class AutocompeterNodeFactory {

    private AutocompeterNodeFactory() {}

    public static Node create(Environment environment, Collection<Class<? extends Plugin>> pluginClasses) {
        List<Class<? extends Plugin>> plugins = List.copyOf(pluginClasses);
        NodeServiceProvider classpathPlugins = new NodeServiceProvider() {
            @Override
            PluginsService newPluginService(Environment env, PluginsLoader ignored) {
                return new AutocompeterClasspathPluginsService(env.settings(), env.configDir(), plugins);
            }
        };
        PluginsLoader noBundles = PluginsLoader.createPluginsLoader(Set.of(), Set.of(), Map.of(), false);
        return new Node(NodeConstruction.prepareConstruction(environment, noBundles, classpathPlugins, true));
    }
}
