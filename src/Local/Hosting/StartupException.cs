namespace Approvals.Local.Hosting;

/// <summary>Why the local host cannot start, in one line that names the cause and the setting or option to change —
/// what the command prints instead of a stack trace.</summary>
public sealed class StartupException(string message, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>The one line to print for a failure to start: the message of a failure that says what to change
    /// (settings, secrets, ports, storage), line breaks folded; for anything else its first line and a pointer to
    /// <c>--verbose</c>.</summary>
    public static string OneLine(Exception e, bool verbose)
    {
        ArgumentNullException.ThrowIfNull(e);
        if (e is AggregateException { InnerExceptions.Count: 1 } single)
        {
            e = single.InnerExceptions[0];
        }

        var said = e is StartupException or Core.Settings.SettingsException or Microsoft.Extensions.Options.OptionsValidationException or Core.Indent.IndentConfigurationException;
        var text = string.Join(" ", e.Message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        return said || verbose ? text : text + " (--verbose shows more)";
    }
}
