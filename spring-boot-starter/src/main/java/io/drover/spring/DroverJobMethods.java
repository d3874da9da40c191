package io.drover.spring;

import java.lang.reflect.Method;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.aop.support.AopUtils;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.core.MethodIntrospector;
import org.springframework.core.annotation.AnnotatedElementUtils;

/**
 * Finds the {@link DroverJob} methods of every bean as it is initialized. Two methods for one slug
 * stop the start-up with the names of both.
 */
public class DroverJobMethods implements BeanPostProcessor {

    private final Map<String, JobMethod> methods = new LinkedHashMap<>();

    @Override
    public Object postProcessAfterInitialization(Object bean, String beanName) {
        Class<?> target = AopUtils.getTargetClass(bean);
        if (target.getName().startsWith("java.") || target.getName().startsWith("org.springframework.")) {
            return bean;
        }
        Map<Method, DroverJob> found = MethodIntrospector.selectMethods(target,
                (MethodIntrospector.MetadataLookup<DroverJob>) m ->
                        AnnotatedElementUtils.findMergedAnnotation(m, DroverJob.class));
        for (Map.Entry<Method, DroverJob> e : found.entrySet()) {
            Method invocable = AopUtils.selectInvocableMethod(e.getKey(), bean.getClass());
            JobMethod method = new JobMethod(bean, invocable, e.getValue());
            synchronized (methods) {
                JobMethod other = methods.putIfAbsent(method.slug(), method);
                if (other != null) {
                    throw new IllegalStateException("two @DroverJob methods for job '" + method.slug() + "': "
                            + other.describe() + " and " + method.describe());
                }
            }
        }
        return bean;
    }

    /** @return the methods found so far, in the order their beans were initialized */
    Collection<JobMethod> all() {
        synchronized (methods) {
            return List.copyOf(methods.values());
        }
    }
}
