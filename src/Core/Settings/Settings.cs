using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Approvals.Core.Settings;

/// <summary>An options class read from flat settings. <see cref="Read"/> fills it; every problem it finds stops the
/// host at start (<c>ValidateOnStart</c>) with a message that names the setting, never its value.</summary>
public abstract class SettingsOptions
{
    /// <summary>What <see cref="Read"/> found wrong; empty when the settings are good.</summary>
    public IReadOnlyList<string> Problems { get; private set; } = [];

    /// <summary>Reads this class's settings; reports malformed ones through <paramref name="reader"/>.</summary>
    protected abstract void Read(SettingReader reader);

    internal void Bind(IConfiguration configuration)
    {
        var reader = new SettingReader(configuration);
        Read(reader);
        Problems = reader.Problems;
    }
}

/// <summary>The one options mechanism both hosts use for our settings.</summary>
public static class Settings
{
    /// <summary>Registers <typeparamref name="T"/> bound from the host's configuration and validated at start.</summary>
    public static OptionsBuilder<T> AddSettings<T>(this IServiceCollection services)
        where T : SettingsOptions
    {
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<T>, SettingsValidator<T>>());
        return services.AddOptions<T>()
            .Configure<IConfiguration>((options, configuration) => options.Bind(configuration))
            .ValidateOnStart();
    }

    /// <summary>Reads <typeparamref name="T"/> outside a container (before a host is built); throws
    /// <see cref="SettingsException"/> naming every bad setting.</summary>
    public static T Read<T>(IConfiguration configuration)
        where T : SettingsOptions, new()
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var options = new T();
        options.Bind(configuration);
        return options.Problems.Count == 0 ? options : throw new SettingsException(options.Problems);
    }

    sealed class SettingsValidator<T> : IValidateOptions<T>
        where T : SettingsOptions
    {
        public ValidateOptionsResult Validate(string? name, T options) =>
            options.Problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(options.Problems);
    }
}

/// <summary>One or more settings are malformed; the message names each, never a value.</summary>
public sealed class SettingsException(IReadOnlyList<string> problems) : InvalidOperationException(string.Join(" ", problems))
{
    public IReadOnlyList<string> Problems { get; } = problems;
}
