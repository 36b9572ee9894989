namespace Approvals.Core.Secrets;

/// <summary>Reads secrets by their setting name (<c>INDENT_API_TOKEN</c>, <c>INDENT_WEBHOOK_SECRET</c>).
/// Implementations cache and refresh so a rotated secret takes effect without a restart.</summary>
public interface ISecretProvider
{
    /// <summary>The current value, or <c>null</c> when the secret is not configured.</summary>
    ValueTask<string?> GetSecretAsync(string name, CancellationToken cancellationToken = default);
}

/// <summary>Secrets from configuration (environment variables, local settings). Reads on every call,
/// so a reloaded configuration is seen at once.</summary>
public sealed class ConfigurationSecretProvider(Microsoft.Extensions.Configuration.IConfiguration configuration) : ISecretProvider
{
    public ValueTask<string?> GetSecretAsync(string name, CancellationToken cancellationToken = default)
    {
        var value = configuration[name];
        return ValueTask.FromResult(string.IsNullOrWhiteSpace(value) ? null : value.Trim());
    }
}
