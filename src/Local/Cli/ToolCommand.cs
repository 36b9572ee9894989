namespace Approvals.Local.Cli;

/// <summary>The name the command line goes by in its help: <c>approvals</c> when it runs as the installed .NET tool (its
/// command, <c>ToolCommandName</c> in Local.csproj), else <c>approvals-local</c>, the assembly <c>dotnet run --project
/// src/Local</c> builds and runs.</summary>
public static class ToolCommand
{
    /// <summary>The installed tool's command.</summary>
    public const string Installed = "approvals";

    /// <summary>The assembly's own name.</summary>
    public const string Assembly = "approvals-local";

    /// <summary><see cref="Installed"/> when this process was started as it (the tool's shim), else <see cref="Assembly"/>.</summary>
    public static string Name() =>
        string.Equals(Path.GetFileNameWithoutExtension(Environment.ProcessPath), Installed, StringComparison.Ordinal) ? Installed : Assembly;
}
