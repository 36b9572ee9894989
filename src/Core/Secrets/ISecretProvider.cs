namespace Approvals.Core.Secrets;

/// <summary>Reads secrets by their setting name (<c>INDENT_API_TOKEN</c>, <c>INDENT_WEBHOOK_SECRET</c>).
/// Implementations cache and refresh so a rotated secret takes effect without a restart.</summary>
public interface ISecretProvider
{
    /// <summary>The current value, or <c>null</c> when the secret is not configured.</summary>
    ValueTask<string?> GetSecretAsync(string name, CancellationToken cancellationToken = default);
}

/// <summary>Secrets from configuration (environment variables, local settings). Each value is read once and kept until
/// the configuration reloads, so a reloaded configuration is seen at once; reading through the configuration on every
/// call took its provider lock on every Indent call, webhook and seal check (the host's most contended lock at 50
/// approvals in flight, scripts/profile-host.sh).</summary>
public sealed class ConfigurationSecretProvider : ISecretProvider
{
    readonly Microsoft.Extensions.Configuration.IConfiguration configuration;
    System.Collections.Concurrent.ConcurrentDictionary<string, string?> values = new(StringComparer.Ordinal);

    public ConfigurationSecretProvider(Microsoft.Extensions.Configuration.IConfiguration configuration)
    {
        this.configuration = configuration;
        Microsoft.Extensions.Primitives.ChangeToken.OnChange(configuration.GetReloadToken, () => values = new(StringComparer.Ordinal));
    }

    public ValueTask<string?> GetSecretAsync(string name, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(values.GetOrAdd(name, n => configuration[n] is { } v && !string.IsNullOrWhiteSpace(v) ? v.Trim() : null));
}
