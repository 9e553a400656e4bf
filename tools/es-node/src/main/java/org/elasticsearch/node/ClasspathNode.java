/*
 * elastic-pack's own glue (Apache-2.0), not Elasticsearch code.
 *
 * A production Node whose plugins come from the class path (see ClasspathPluginsService). It must live in
 * Elasticsearch's package: the constructor that takes a NodeConstruction and the service provider it is
 * built with are package-private.
 */
package org.elasticsearch.node;

import org.elasticsearch.env.Environment;
import org.elasticsearch.plugins.ClasspathPluginsService;
import org.elasticsearch.plugins.Plugin;
import org.elasticsearch.plugins.PluginsLoader;
import org.elasticsearch.plugins.PluginsService;

import java.util.List;

public class ClasspathNode extends Node {

    public ClasspathNode(Environment environment, List<Class<? extends Plugin>> pluginClasses) {
        super(
            NodeConstruction.prepareConstruction(
                environment,
                ClasspathPluginsService.emptyLoader(),
                new ClasspathServiceProvider(pluginClasses),
                true
            )
        );
    }

    private static final class ClasspathServiceProvider extends NodeServiceProvider {
        private final List<Class<? extends Plugin>> pluginClasses;

        ClasspathServiceProvider(List<Class<? extends Plugin>> pluginClasses) {
            this.pluginClasses = pluginClasses;
        }

        @Override
        PluginsService newPluginService(Environment environment, PluginsLoader pluginsLoader) {
            return new ClasspathPluginsService(environment.settings(), environment, pluginClasses);
        }
    }
}
