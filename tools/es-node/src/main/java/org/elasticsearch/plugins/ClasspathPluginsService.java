/*
 * elastic-pack's own glue (Apache-2.0), not Elasticsearch code.
 *
 * Elasticsearch loads plugins from folders of jars, each in its own class loader (PluginsLoader). The
 * artifacts on Maven Central are plain jars on one class path, so this service instantiates the plugin
 * classes it is given from that class path instead. It lives in Elasticsearch's package because the
 * record of a loaded plugin and the extension loader it needs are package-private there.
 */
package org.elasticsearch.plugins;

import org.elasticsearch.Build;
import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.env.Environment;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.Set;

public class ClasspathPluginsService extends PluginsService {

    private final List<LoadedPlugin> classpathPlugins;

    public ClasspathPluginsService(Settings settings, Environment environment, List<Class<? extends Plugin>> pluginClasses) {
        super(settings, environment.configDir(), emptyLoader());
        List<LoadedPlugin> loaded = new ArrayList<>();
        for (Class<? extends Plugin> pluginClass : pluginClasses) {
            Plugin plugin = loadPlugin(pluginClass, settings, environment.configDir());
            PluginDescriptor descriptor = new PluginDescriptor(
                pluginClass.getName(),
                "loaded from the class path by elastic-pack's test node",
                Build.current().version(),
                Build.current().version(),
                "17",
                pluginClass.getName(),
                null,
                List.of(),
                false,
                false,
                false,
                false
            );
            loaded.add(new LoadedPlugin(descriptor, plugin, pluginClass.getClassLoader()));
        }
        this.classpathPlugins = List.copyOf(loaded);
        // ES|QL finds its functions and data types through ExtensiblePlugin's SPI: run that as Elasticsearch does
        loadExtensions(this.classpathPlugins);
    }

    /** A plugins loader with no module or plugin folders: everything comes from the class path. */
    public static PluginsLoader emptyLoader() {
        // false: no server exports service, which needs Elasticsearch on the module path
        return PluginsLoader.createPluginsLoader(Set.of(), Set.of(), Map.of(), false);
    }

    /**
     * Elasticsearch asks each plugin's own class loader for SPI providers; here every plugin shares the class
     * path, so asking each would find every provider once per plugin. Ask the class path once.
     */
    @Override
    public <T> List<? extends T> loadServiceProviders(Class<T> service) {
        Map<Class<?>, T> byClass = new LinkedHashMap<>();
        for (T provider : ServiceLoader.load(service, ClasspathPluginsService.class.getClassLoader())) {
            byClass.putIfAbsent(provider.getClass(), provider);
        }
        return List.copyOf(byClass.values());
    }

    @Override
    protected List<LoadedPlugin> plugins() {
        // the superclass constructor asks before this class has set its list
        return classpathPlugins == null ? List.of() : classpathPlugins;
    }
}
