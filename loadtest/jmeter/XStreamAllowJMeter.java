import java.io.File;
import java.lang.reflect.Field;
import java.lang.reflect.Method;

/**
 * Starts JMeter (org.apache.jmeter.NewDriver) after allow-listing JMeter's own
 * classes in SaveService's two XStream instances. Debian's JMeter 2.13 runs on a
 * libxstream (1.4.18+) that forbids every class not allow-listed, so without this
 * every plan fails with ForbiddenClassException: org.apache.jmeter.save.ScriptWrapper
 * (and JMeter still exits 0). Used by run.sh; a real JMeter 5 needs none of it.
 */
public final class XStreamAllowJMeter {
  private static final String[] ALLOWED = {"org.apache.jmeter.**", "org.apache.jorphan.**"};

  public static void main(String[] args) throws Exception {
    String home = System.getProperty("jmeter.home");
    if (home == null) throw new IllegalStateException("-Djmeter.home is not set");
    // NewDriver's static initialiser builds the class loader over lib/ and lib/ext/.
    Class<?> driver = Class.forName("org.apache.jmeter.NewDriver");
    Field loaderField = driver.getDeclaredField("loader");
    loaderField.setAccessible(true);
    ClassLoader loader = (ClassLoader) loaderField.get(null);
    Thread.currentThread().setContextClassLoader(loader);

    // SaveService reads saveservice.properties when first loaded: JMeter's
    // properties must be in place first, as JMeter itself would set them.
    Class<?> utils = loader.loadClass("org.apache.jmeter.util.JMeterUtils");
    utils.getMethod("setJMeterHome", String.class).invoke(null, home);
    utils
        .getMethod("loadJMeterProperties", String.class)
        .invoke(null, home + File.separator + "bin" + File.separator + "jmeter.properties");

    Class<?> saveService = Class.forName("org.apache.jmeter.save.SaveService", true, loader);
    Class<?> xstream = loader.loadClass("com.thoughtworks.xstream.XStream");
    Method allow = xstream.getMethod("allowTypesByWildcard", String[].class);
    for (String name : new String[] {"JMXSAVER", "JTLSAVER"}) {
      Field field = saveService.getDeclaredField(name);
      field.setAccessible(true);
      allow.invoke(field.get(null), (Object) ALLOWED);
    }
    driver.getMethod("main", String[].class).invoke(null, (Object) args);
  }
}
